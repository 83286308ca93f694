// Provenance: run.json as a key/value table (model and dataset hashes, options, tool version)
// and the timings it records, as a table and a bar chart.

import { renderSvg, timingChartSpec } from '../charts.js';
import { escapeHtml, formatNumber, formatSeconds } from '../format.js';
import type { RunData } from '../run-folder.js';
import { isObject } from '../summary.js';
import { chartFigure } from './plots.js';

const TIMING_KEYS = ['timings', 'timing', 'durations'];
const MAX_VALUE_CHARACTERS = 300;

/** Flattens nested objects into dotted keys; arrays and long values become JSON text. */
export function flattenRecord(value: Record<string, unknown>, prefix = ''): [string, string][] {
  const out: [string, string][] = [];
  for (const [key, item] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (isObject(item) && Object.keys(item).length > 0) out.push(...flattenRecord(item, path));
    else out.push([path, formatValue(item)]);
  }
  return out;
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return formatNumber(value);
  return JSON.stringify(value);
}

/** Returns the phase durations in seconds that run.json records; keys ending in `_ms` are milliseconds. */
export function readTimings(run: Record<string, unknown> | null): { phase: string; seconds: number }[] {
  if (!run) return [];
  const source = TIMING_KEYS.map((key) => run[key]).find(isObject);
  if (!source) return [];
  const rows: { phase: string; seconds: number }[] = [];
  for (const [key, value] of Object.entries(source)) {
    const number = typeof value === 'number' ? value : isObject(value) && typeof value.seconds === 'number' ? value.seconds : undefined;
    if (number === undefined || !Number.isFinite(number)) continue;
    if (key.endsWith('_ms')) rows.push({ phase: key.slice(0, -3), seconds: number / 1000 });
    else rows.push({ phase: key.replace(/_(s|seconds)$/, ''), seconds: number });
  }
  return rows;
}

export async function renderProvenanceSection(runs: RunData[], runLabels: string[]): Promise<string> {
  const parts: string[] = [];
  runs.forEach((run, index) => {
    const title = runs.length > 1 ? `${runLabels[index]}: ${run.label}` : run.label;
    if (!run.run) {
      parts.push(`<p class="note">${escapeHtml(title)}: no run.json in ${escapeHtml(run.dir)}.</p>`);
      return;
    }
    const rows = flattenRecord(run.run)
      .map(([key, value]) => {
        const truncated = value.length > MAX_VALUE_CHARACTERS ? `${value.slice(0, MAX_VALUE_CHARACTERS)}…` : value;
        return `<tr><th scope="row">${escapeHtml(key)}</th><td title="${escapeHtml(value.slice(0, 4000))}">${escapeHtml(truncated)}</td></tr>`;
      })
      .join('\n');
    parts.push(`<table class="provenance"><caption>${escapeHtml(title)} <span class="sub">${escapeHtml(run.dir)}</span></caption><tbody>${rows}</tbody></table>`);
  });

  const timingRows = runs.flatMap((run, index) => readTimings(run.run).map((row) => ({ run: runLabels[index], ...row })));
  if (timingRows.length) {
    const caption = timingRows.map((row) => `${runs.length > 1 ? `${row.run} ` : ''}${row.phase} ${formatSeconds(row.seconds)}`).join(' · ');
    parts.push(chartFigure('timings', await renderSvg(timingChartSpec(timingRows, runLabels)), caption));
  }
  return `<div class="provenance-grid">${parts.join('\n')}</div>`;
}
