// Assembly of the report page from its sections. One run folder gives the study report, and two
// give the same sections for both runs plus the comparison table.

import { PAGE_SCRIPT, PAGE_STYLE } from './assets.js';
import { directionClass, escapeHtml, formatDifference, formatNumber } from './format.js';
import type { RunData } from './run-folder.js';
import { renderComparisonTable } from './sections/compare.js';
import { renderCrvSection } from './sections/crv.js';
import { renderOutcomeChart } from './sections/outcomes.js';
import { pickMetric, renderDepthPlots, renderTradeOffPlot } from './sections/plots.js';
import { flattenRecord, renderProvenanceSection } from './sections/provenance.js';
import { renderSummaryTable } from './sections/summary-table.js';
import { renderTaskBrowser } from './sections/tasks.js';
import { findEstimate, summaryMetrics, summaryVariants } from './summary.js';
import { ORIGINAL_VARIANT } from './variants.js';

/** Blocks every request from the page, because it needs none and the run folder's text is untrusted. */
const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

const HEADLINE_METRICS = [/^pass(@1|_at_1|ed|_rate)?$/i, /pass/i, /^syntax/i];

export interface ReportOptions {
  /** Tool version shown in the footer. */
  toolVersion: string;
  /** Time the page was built, ISO 8601. */
  builtAt: string;
}

export async function renderReportPage(runs: RunData[], options: ReportOptions): Promise<string> {
  const labels = runs.length > 1 ? ['A', 'B'] : [runs[0].label];
  const sections: { id: string; title: string; html: string }[] = [];

  const headline = renderHeadline(runs[0], runs.length > 1 ? `Run A (${runs[0].label}). ` : '');
  const summaryTables = runs.map((run, index) => {
    const id = runs.length > 1 ? `summary-table-${labels[index]}` : 'summary-table';
    const caption = runs.length > 1 ? `${labels[index]}: ${run.label}` : 'Mean per variant, 95% CI below, n the values behind it';
    return renderSummaryTable(run.summary, id, caption, run.paired);
  });
  const outcomeChart = await renderOutcomeChart(runs, labels);
  const tables = runs.length > 1 ? `<div class="two-columns">${summaryTables.join('')}</div>` : summaryTables[0];
  const body = outcomeChart ? `<div class="figure-row">${tables}${outcomeChart}</div>` : tables;
  sections.push({ id: 'summary', title: 'Summary', html: `${headline}${body}` });
  if (runs.length > 1) sections.push({ id: 'comparison', title: 'Comparison', html: renderComparisonTable(runs[0].summary, runs[1].summary, runs[0].label, runs[1].label) });

  sections.push({ id: 'depth', title: 'Metrics against integration depth', html: await renderDepthPlots(runs, labels) });
  sections.push({ id: 'trade-off', title: 'Trade-off', html: await renderTradeOffPlot(runs, labels) });

  const browser = renderTaskBrowser(runs, labels);
  if (browser) sections.push({ id: 'tasks', title: 'Tasks', html: browser });
  const crv = await renderCrvSection(runs, labels);
  if (crv) sections.push({ id: 'crv', title: 'CRV statistics', html: crv });
  sections.push({ id: 'provenance', title: 'Provenance', html: await renderProvenanceSection(runs, labels) });

  const warnings = runs.flatMap((run) => run.warnings);
  const warningBlock = warnings.length ? `<div class="warnings"><b>Warnings</b><ul>${warnings.map((warning) => `<li>${escapeHtml(warning)}</li>`).join('')}</ul></div>` : '';
  const title = runs.length > 1 ? `NIR comparison: ${runs[0].label} vs ${runs[1].label}` : `NIR report: ${runs[0].label}`;

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<header class="page"><h1>${escapeHtml(title)}</h1><div class="facts">${renderFacts(runs, labels)}</div></header>
<nav>${sections.map((section) => `<a href="#${section.id}">${escapeHtml(section.title)}</a>`).join('')}</nav>
<main>
${warningBlock}
${sections.map((section) => `<section id="${section.id}"><h2>${escapeHtml(section.title)}</h2>\n${section.html}\n</section>`).join('\n')}
<footer class="sub">Built ${escapeHtml(options.builtAt)} by nir-toolkit ${escapeHtml(options.toolVersion)}. Charts: vega-lite, rendered to SVG when the page was built.</footer>
</main>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}

/** Returns the model, dataset, version and date of each run, as far as run.json records them. */
function renderFacts(runs: RunData[], labels: string[]): string {
  const patterns: [string, RegExp][] = [
    ['model', /^model(\.(spec|name|id|path|file))?$/],
    ['dataset', /^dataset(\.(name|split|path|file))?$/],
    ['tasks', /^(tasks|task_count|n_tasks)$/],
    ['version', /(^|\.)(tool_)?version$/],
    ['started', /^(created|started|started_at|created_at|date)$/],
    ['status', /^status$/],
  ];
  const facts: string[] = [];
  runs.forEach((run, index) => {
    const prefix = runs.length > 1 ? `<b>${escapeHtml(labels[index])}</b> ${escapeHtml(run.label)}: ` : '';
    const flat = run.run ? flattenRecord(run.run) : [];
    const found = patterns
      .map(([name, pattern]) => {
        const entry = flat.find(([key]) => pattern.test(key));
        return entry && entry[1] !== 'null' ? `${name} <b>${escapeHtml(entry[1].slice(0, 120))}</b>` : '';
      })
      .filter(Boolean);
    const variants = summaryVariants(run.summary);
    found.push(`variants <b>${escapeHtml(variants.join(', '))}</b>`);
    facts.push(`<span>${prefix}${found.join(' · ')}</span>`);
  });
  return facts.join('');
}

/** Renders one tile per variant with the headline metrics and their difference to orig. */
function renderHeadline(run: RunData, prefix: string): string {
  const metrics = summaryMetrics(run.summary);
  const chosen = [...new Set(HEADLINE_METRICS.map((pattern) => pickMetric(metrics, [pattern])).filter((metric): metric is string => metric !== undefined))].slice(0, 2);
  if (chosen.length === 0) return '';
  const tiles = summaryVariants(run.summary).map((variant) => {
    const figures = chosen.map((metric) => {
      const mean = findEstimate(run.summary, variant, metric)?.mean ?? null;
      const reference = findEstimate(run.summary, ORIGINAL_VARIANT, metric)?.mean ?? null;
      const difference = variant !== ORIGINAL_VARIANT && mean !== null && reference !== null ? mean - reference : null;
      const direction = directionClass(difference);
      const delta = difference === null ? '' : ` <span class="delta${direction}">${formatDifference(difference)}</span>`;
      return `<div class="figure"><span>${escapeHtml(metric)}</span><span><b>${formatNumber(mean)}</b>${delta}</span></div>`;
    });
    return `<div class="tile"><div class="variant">${escapeHtml(variant)}</div>${figures.join('')}</div>`;
  });
  return `<div class="headline"><div class="tiles">${tiles.join('')}</div><p class="sub">${escapeHtml(prefix)}Differences are to orig. The table below has every metric with its 95% CI.</p></div>`;
}
