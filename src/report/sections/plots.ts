// Plot section: each metric against integration depth, and the trade-off of syntax rate
// against length. Every chart is an inline SVG in a <figure data-chart="...">.

import { depthChartSpec, renderSvg, tradeOffChartSpec, type DepthPoint, type ReferenceLevel, type TradeOffPoint } from '../charts.js';
import { escapeHtml } from '../format.js';
import type { RunData } from '../run-folder.js';
import { findEstimate, splitMetrics, summaryMetrics } from '../summary.js';
import { compareVariants, ORIGINAL_VARIANT, variantDepth } from '../variants.js';

const SYNTAX_METRICS = [/^syntax$/i, /^syntax_(valid|rate|ok)$/i, /syntax/i];
const LENGTH_METRICS = [/^characters$/i, /^(chars|length|code_length)$/i, /length|characters|chars/i, /^lines$/i];

/** Returns the first metric that matches a pattern, trying the patterns in order. */
export function pickMetric(metrics: string[], patterns: RegExp[]): string | undefined {
  for (const pattern of patterns) {
    const found = metrics.find((metric) => pattern.test(metric));
    if (found) return found;
  }
  return undefined;
}

export function chartFigure(id: string, svg: string, caption?: string): string {
  const figcaption = caption ? `<figcaption>${escapeHtml(caption)}</figcaption>` : '';
  return `<figure class="chart" data-chart="${escapeHtml(id)}">${svg}${figcaption}</figure>`;
}

/**
 * Renders one depth plot per metric (metrics of every run, in first-seen order). Plots of the
 * metrics beyond the key ones sit in a closed <details> block.
 */
export async function renderDepthPlots(runs: RunData[], runLabels: string[]): Promise<string> {
  const { key, more } = splitMetrics(runs.flatMap((run) => run.summary));
  const keyFigures = await renderDepthFigures(runs, runLabels, key);
  const moreFigures = await renderDepthFigures(runs, runLabels, more);
  const moreBlock = moreFigures.length
    ? `<details class="more-plots"><summary>Plots of ${moreFigures.length} more metrics</summary><div class="chart-grid">${moreFigures.join('\n')}</div></details>`
    : '';
  return `<div class="chart-grid">${keyFigures.join('\n')}</div>${moreBlock}`;
}

async function renderDepthFigures(runs: RunData[], runLabels: string[], metrics: string[]): Promise<string[]> {
  const figures: string[] = [];
  for (const metric of metrics) {
    const points: DepthPoint[] = [];
    const references: ReferenceLevel[] = [];
    runs.forEach((run, index) => {
      for (const row of run.summary) {
        if (row.metric !== metric || row.estimate.mean === null) continue;
        const { mean, low, high } = row.estimate;
        const depth = variantDepth(row.variant);
        if (row.variant === ORIGINAL_VARIANT) references.push({ run: runLabels[index], mean, low, high });
        else if (depth) points.push({ run: runLabels[index], variant: row.variant, layer: depth.layer, mean, low, high });
      }
    });
    if (points.length === 0 && references.length === 0) continue;
    const svg = await renderSvg(depthChartSpec(metric, points, references, runLabels));
    figures.push(chartFigure(`depth:${metric}`, svg));
  }
  return figures;
}

/** Renders the trade-off plot, or a note naming the metrics it needs when a run lacks them. */
export async function renderTradeOffPlot(runs: RunData[], runLabels: string[]): Promise<string> {
  const metrics = [...new Set(runs.flatMap((run) => summaryMetrics(run.summary)))];
  const syntaxMetric = pickMetric(metrics, SYNTAX_METRICS);
  const lengthMetric = pickMetric(metrics, LENGTH_METRICS);
  if (!syntaxMetric || !lengthMetric) {
    return `<p class="note">No trade-off plot: it needs a syntax metric (such as <code>syntax</code>) and a length metric (such as <code>characters</code>) in summary.json.</p>`;
  }
  const points: TradeOffPoint[] = [];
  runs.forEach((run, index) => {
    const variants = [...new Set(run.summary.map((row) => row.variant))].sort(compareVariants);
    for (const variant of variants) {
      const length = findEstimate(run.summary, variant, lengthMetric)?.mean;
      const syntax = findEstimate(run.summary, variant, syntaxMetric)?.mean;
      if (length === null || length === undefined || syntax === null || syntax === undefined) continue;
      const depth = variantDepth(variant);
      let kind: TradeOffPoint['kind'] = 'other';
      if (variant === ORIGINAL_VARIANT) kind = 'orig';
      else if (depth) kind = 'depth';
      points.push({ run: runLabels[index], variant, kind, layer: depth ? depth.layer : null, length, syntax });
    }
  });
  const svg = await renderSvg(tradeOffChartSpec(points, lengthMetric, syntaxMetric, runLabels));
  return `<div class="figure-row">${chartFigure('trade-off', svg)}</div>`;
}
