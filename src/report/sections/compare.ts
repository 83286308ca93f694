// Comparison of two runs: per metric and variant, the means of A and B and the difference B − A.

import { directionClass, escapeHtml, formatDifference, formatNumber } from '../format.js';
import { findEstimate, summaryMetrics, type SummaryRow } from '../summary.js';
import { compareVariants } from '../variants.js';

export function renderComparisonTable(rowsA: SummaryRow[], rowsB: SummaryRow[], labelA: string, labelB: string): string {
  const variants = [...new Set([...rowsA, ...rowsB].map((row) => row.variant))].sort(compareVariants);
  const metrics = [...new Set([...summaryMetrics(rowsA), ...summaryMetrics(rowsB)])];
  const body: string[] = [];
  for (const metric of metrics) {
    variants.forEach((variant, index) => {
      const a = findEstimate(rowsA, variant, metric)?.mean ?? null;
      const b = findEstimate(rowsB, variant, metric)?.mean ?? null;
      const difference = a !== null && b !== null ? b - a : null;
      const direction = directionClass(difference);
      const metricCell = index === 0 ? `<th scope="rowgroup" rowspan="${variants.length}">${escapeHtml(metric)}</th>` : '';
      body.push(
        `<tr data-metric="${escapeHtml(metric)}" data-variant="${escapeHtml(variant)}">${metricCell}<td>${escapeHtml(variant)}</td>` +
          `<td class="num" data-value="${a ?? ''}">${formatNumber(a)}</td><td class="num" data-value="${b ?? ''}">${formatNumber(b)}</td>` +
          `<td class="num difference${direction}" data-value="${difference ?? ''}">${formatDifference(difference)}</td></tr>`,
      );
    });
  }
  return `<table class="comparison" id="comparison-table">
<caption>Mean per metric and variant: A = ${escapeHtml(labelA)}, B = ${escapeHtml(labelB)}</caption>
<thead><tr><th scope="col">metric</th><th scope="col">variant</th><th scope="col">A</th><th scope="col">B</th><th scope="col">B − A</th></tr></thead>
<tbody>
${body.join('\n')}
</tbody></table>`;
}
