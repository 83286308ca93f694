// Per-variant summary table: one row per metric, one column per variant, each cell the mean
// with its 95% interval and n, exactly as summary.json has them.

import { escapeHtml, formatInterval, formatNumber } from '../format.js';
import { findEstimate, summaryMetrics, summaryVariants, type Estimate, type SummaryRow } from '../summary.js';

/** Renders the summary table of one run; `id` names the table for links and tests. */
export function renderSummaryTable(rows: SummaryRow[], id: string, caption: string): string {
  const variants = summaryVariants(rows);
  const metrics = summaryMetrics(rows);
  const head = variants.map((variant) => `<th scope="col" data-column="${escapeHtml(variant)}">${escapeHtml(variant)}</th>`).join('');
  const body = metrics
    .map((metric) => {
      const cells = variants.map((variant) => renderEstimateCell(variant, metric, findEstimate(rows, variant, metric))).join('');
      return `<tr><th scope="row">${escapeHtml(metric)}</th>${cells}</tr>`;
    })
    .join('\n');
  return `<table class="summary" id="${escapeHtml(id)}">
<caption>${escapeHtml(caption)}</caption>
<thead><tr><th scope="col">metric</th>${head}</tr></thead>
<tbody>
${body}
</tbody></table>`;
}

function renderEstimateCell(variant: string, metric: string, estimate: Estimate | undefined): string {
  if (!estimate) return `<td class="estimate missing" data-variant="${escapeHtml(variant)}" data-metric="${escapeHtml(metric)}">–</td>`;
  const data = (['mean', 'low', 'high', 'n'] as const)
    .map((field) => (estimate[field] === null ? '' : ` data-${field}="${String(estimate[field])}"`))
    .join('');
  const n = estimate.n === null ? '' : `<span class="n">n ${formatNumber(estimate.n)}</span>`;
  return `<td class="estimate" data-variant="${escapeHtml(variant)}" data-metric="${escapeHtml(metric)}"${data}><span class="mean">${formatNumber(estimate.mean)}</span><span class="ci">${formatInterval(estimate.low, estimate.high)}</span>${n}</td>`;
}
