// CRV statistics: per capture layer, each statistic (rows, norm_mean, ...) aggregated over tasks.

import { crvChartSpec, renderSvg, type CrvLayerPoint } from '../charts.js';
import { escapeHtml, formatNumber } from '../format.js';
import type { RunData } from '../run-folder.js';
import { chartFigure } from './plots.js';

export interface CrvAggregate {
  layer: number;
  tasks: number;
  /** Mean, min and max of each statistic over the tasks that have it. */
  statistics: Record<string, { mean: number; min: number; max: number }>;
}

export function aggregateCrv(run: RunData): CrvAggregate[] {
  const byLayer = new Map<number, { tasks: number; values: Map<string, number[]> }>();
  for (const task of run.tasks) {
    for (const entry of task.crv) {
      const layer = byLayer.get(entry.layer) ?? { tasks: 0, values: new Map<string, number[]>() };
      layer.tasks++;
      for (const [name, value] of Object.entries(entry.figures)) {
        const list = layer.values.get(name) ?? [];
        list.push(value);
        layer.values.set(name, list);
      }
      byLayer.set(entry.layer, layer);
    }
  }
  return [...byLayer.entries()]
    .sort(([a], [b]) => a - b)
    .map(([layer, { tasks, values }]) => {
      const statistics: CrvAggregate['statistics'] = {};
      for (const [name, list] of values) {
        statistics[name] = { mean: list.reduce((sum, value) => sum + value, 0) / list.length, min: Math.min(...list), max: Math.max(...list) };
      }
      return { layer, tasks, statistics };
    });
}

/** Renders the CRV table and plot of every run that has CRV statistics, or undefined when none has. */
export async function renderCrvSection(runs: RunData[], runLabels: string[]): Promise<string | undefined> {
  const aggregates = runs.map(aggregateCrv);
  if (aggregates.every((list) => list.length === 0)) return undefined;

  const parts: string[] = [];
  const statisticNames = [...new Set(aggregates.flat().flatMap((entry) => Object.keys(entry.statistics)))];
  const plotted = statisticNames.includes('norm_mean') ? 'norm_mean' : statisticNames[0];
  if (plotted) {
    const points: CrvLayerPoint[] = [];
    aggregates.forEach((list, index) => {
      for (const entry of list) {
        const statistic = entry.statistics[plotted];
        if (statistic) points.push({ run: runLabels[index], layer: entry.layer, ...statistic });
      }
    });
    parts.push(chartFigure(`crv:${plotted}`, await renderSvg(crvChartSpec(plotted, points, runLabels))));
  }

  aggregates.forEach((list, index) => {
    if (list.length === 0) return;
    const head = statisticNames.map((name) => `<th scope="col">${escapeHtml(name)}<br><span class="sub">mean [min, max]</span></th>`).join('');
    const body = list
      .map((entry) => {
        const cells = statisticNames
          .map((name) => {
            const statistic = entry.statistics[name];
            return statistic ? `<td class="num">${formatNumber(statistic.mean)} <span class="ci">[${formatNumber(statistic.min)}, ${formatNumber(statistic.max)}]</span></td>` : '<td>–</td>';
          })
          .join('');
        return `<tr><th scope="row">${entry.layer}</th><td class="num">${entry.tasks}</td>${cells}</tr>`;
      })
      .join('\n');
    const caption = runs.length > 1 ? `CRV statistics of ${runLabels[index]} (${runs[index].label})` : 'CRV statistics over tasks';
    parts.push(`<table class="crv"><caption>${escapeHtml(caption)}</caption><thead><tr><th scope="col">layer</th><th scope="col">tasks</th>${head}</tr></thead><tbody>${body}</tbody></table>`);
  });
  return `<div class="figure-row">${parts.join('\n')}</div>`;
}
