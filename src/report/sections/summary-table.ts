// Per-variant summary table: one row per metric, one column per variant, each cell the mean
// with its 95% interval and n, exactly as summary.json has them.

import { escapeHtml, formatInterval, formatNumber } from '../format.js';
import { findEstimate, splitMetrics, summaryVariants, type Estimate, type PairedTest, type SummaryRow } from '../summary.js';

/** Summary metric of each paired-test figure whose name differs (the test uses the sample field). */
const PAIRED_FIGURE_METRIC: Record<string, string> = { response: 'response_rate', syntax_valid: 'syntax_rate', passed: 'pass_rate' };

/** Returns the paired tests of one variant keyed by summary metric name. */
function pairedByMetric(tests: Record<string, PairedTest> | undefined): Map<string, PairedTest> {
  const byMetric = new Map<string, PairedTest>();
  for (const [figure, test] of Object.entries(tests ?? {})) byMetric.set(PAIRED_FIGURE_METRIC[figure] ?? figure, test);
  return byMetric;
}

function formatPValue(test: PairedTest): string {
  let stars = '';
  if (test.pValue < 0.01) stars = ' **';
  else if (test.pValue < 0.05) stars = ' *';
  const value = test.pValue < 0.001 ? '< 0.001' : formatNumber(test.pValue);
  return `p ${value}${stars}`;
}

/**
 * Renders the summary table of one run; `id` names the table for links and tests. With paired
 * tests, each cell of a variant also shows the p-value of its test against orig.
 */
export function renderSummaryTable(rows: SummaryRow[], id: string, caption: string, paired: Record<string, Record<string, PairedTest>> = {}): string {
  const variants = summaryVariants(rows);
  const { key, more } = splitMetrics(rows);
  const head = variants.map((variant) => `<th scope="col" data-column="${escapeHtml(variant)}">${escapeHtml(variant)}</th>`).join('');
  const renderRows = (metrics: string[]) =>
    metrics
      .map((metric) => {
        const cells = variants.map((variant) => renderEstimateCell(variant, metric, findEstimate(rows, variant, metric), pairedByMetric(paired[variant]).get(metric))).join('');
        return `<tr><th scope="row">${escapeHtml(metric)}</th>${cells}</tr>`;
      })
      .join('\n');
  // The other metrics stay in the table (hidden until the button shows them), so every figure of summary.json is on the page.
  const moreBody = more.length
    ? `<tbody class="more-metrics-toggle"><tr><td colspan="${variants.length + 1}"><button type="button" class="show-more" data-target="${escapeHtml(id)}-more">Show ${more.length} more metrics</button></td></tr></tbody>
<tbody class="more-metrics" id="${escapeHtml(id)}-more" hidden>
${renderRows(more)}
</tbody>`
    : '';
  return `<table class="summary" id="${escapeHtml(id)}">
<caption>${escapeHtml(caption)}${Object.keys(paired).length ? ' <span class="sub">p: paired test against orig, * p &lt; 0.05, ** p &lt; 0.01</span>' : ''}</caption>
<thead><tr><th scope="col">metric</th>${head}</tr></thead>
<tbody>
${renderRows(key)}
</tbody>
${moreBody}</table>`;
}

function renderEstimateCell(variant: string, metric: string, estimate: Estimate | undefined, test: PairedTest | undefined): string {
  if (!estimate) return `<td class="estimate missing" data-variant="${escapeHtml(variant)}" data-metric="${escapeHtml(metric)}">–</td>`;
  const data = (['mean', 'low', 'high', 'n'] as const)
    .map((field) => (estimate[field] === null ? '' : ` data-${field}="${String(estimate[field])}"`))
    .join('');
  const n = estimate.n === null ? '' : `<span class="n">n ${formatNumber(estimate.n)}</span>`;
  const p = test ? `<span class="p${test.pValue < 0.05 ? ' significant' : ''}" title="${escapeHtml(test.test)} against orig" data-p="${test.pValue}">${formatPValue(test)}</span>` : '';
  return `<td class="estimate" data-variant="${escapeHtml(variant)}" data-metric="${escapeHtml(metric)}"${data}><span class="mean">${formatNumber(estimate.mean)}</span><span class="ci">${formatInterval(estimate.low, estimate.high)}</span>${n}${p}</td>`;
}
