// Per-task browser: a table of tasks with each variant's outcome, filterable by outcome and
// depth, and for each task a <template> with the reasoning, CRV statistics and the code of every
// depth side by side, which the page script opens in a dialog.

import { escapeHtml, formatNumber } from '../format.js';
import type { RunData, SampleRecord, TaskRecord, TaskVariantText } from '../run-folder.js';
import { compareVariants } from '../variants.js';

/** One column of the browser: a variant of one run. */
interface BrowserColumn {
  /** Unique key: the variant, prefixed with the run label in a comparison (e.g. `B:L10`). */
  key: string;
  runIndex: number;
  variant: string;
}

interface CellData {
  outcome: string;
  samples: SampleRecord[];
  text?: TaskVariantText;
}

const TEXT_PREVIEW_CHARACTERS = 110;
/** Sample fields shown on a code card when present; a record with none of them shows all its figures. */
const CARD_METRICS = ['syntax_valid', 'characters', 'lines', 'cc_total', 'cc_mean', 'halstead_volume', 'mi', 'asserts_passed', 'asserts_total', 'duration_ms'];

export function outcomeClass(outcome: string): string {
  if (outcome === 'passed') return 'passed';
  if (outcome === 'failed') return 'failed';
  if (/error|timeout|crash|killed|limit/i.test(outcome)) return 'error';
  return 'other';
}

/** Renders the browser, or undefined when no run has samples or tasks. */
export function renderTaskBrowser(runs: RunData[], runLabels: string[]): string | undefined {
  if (runs.every((run) => run.samples.length === 0 && run.tasks.length === 0)) return undefined;

  const columns: BrowserColumn[] = [];
  runs.forEach((run, runIndex) => {
    const variants = new Set([...run.samples.map((sample) => sample.variant), ...run.tasks.flatMap((task) => Object.keys(task.variants))]);
    for (const variant of [...variants].sort(compareVariants)) {
      columns.push({ key: runs.length > 1 ? `${runLabels[runIndex]}:${variant}` : variant, runIndex, variant });
    }
  });
  const taskIds = [...new Set(runs.flatMap((run) => [...run.tasks.map((task) => task.task_id), ...run.samples.map((sample) => sample.task_id)]))].sort((a, b) => a - b);
  const taskMaps = runs.map((run) => new Map(run.tasks.map((task) => [task.task_id, task])));
  const sampleMaps = runs.map((run) => groupSamples(run.samples));

  const outcomes = new Set<string>();
  const rows: string[] = [];
  const templates: string[] = [];
  for (const taskId of taskIds) {
    const task = taskMaps.map((map) => map.get(taskId)).find((found) => found !== undefined);
    const cells = new Map<string, CellData>();
    for (const column of columns) {
      const samples = sampleMaps[column.runIndex].get(`${taskId}\u0000${column.variant}`) ?? [];
      // tasks.jsonl has the texts of eval runs; samples of `nir score` runs carry their own program.
      const text = taskMaps[column.runIndex].get(taskId)?.variants[column.variant] ?? samples[0]?.texts;
      const outcome = samples[0]?.outcome ?? text?.outcome ?? (text ? 'unscored' : 'missing');
      outcomes.add(outcome);
      cells.set(column.key, { outcome, samples, text });
    }
    rows.push(renderRow(taskId, task, columns, cells));
    templates.push(renderDetail(taskId, task, columns, cells, runs.length > 1 ? runLabels : undefined));
  }

  const depthOptions = columns.map((column) => `<option value="${escapeHtml(column.key)}">${escapeHtml(column.key)}</option>`).join('');
  const outcomeOptions = [...outcomes].sort().map((outcome) => `<option value="${escapeHtml(outcome)}">${escapeHtml(outcome)}</option>`).join('');
  const head = columns.map((column) => `<th scope="col" data-column="${escapeHtml(column.key)}">${escapeHtml(column.key)}</th>`).join('');
  return `<div class="filters">
<label>Depth <select id="filter-depth"><option value="">all depths</option>${depthOptions}</select></label>
<label>Outcome <select id="filter-outcome"><option value="">any outcome</option>${outcomeOptions}</select></label>
<span id="task-count" class="sub">${taskIds.length} tasks</span>
<span class="sub hint">Click a task to open it; arrow keys move between tasks in the dialog.</span>
</div>
<div class="table-scroll"><table id="task-table" class="tasks">
<thead><tr><th scope="col">task</th><th scope="col">description</th>${head}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table></div>
${templates.join('\n')}
<dialog id="task-dialog" aria-label="Task details"><div class="dialog-bar"><button type="button" id="dialog-previous" aria-label="previous task">←</button><button type="button" id="dialog-next" aria-label="next task">→</button><span id="dialog-title"></span><button type="button" id="dialog-close">Close</button></div><div id="dialog-body"></div></dialog>`;
}

function formatFigure(value: number | boolean): string {
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return formatNumber(value);
}

function groupSamples(samples: SampleRecord[]): Map<string, SampleRecord[]> {
  const groups = new Map<string, SampleRecord[]>();
  for (const sample of samples) {
    const key = `${sample.task_id}\u0000${sample.variant}`;
    const list = groups.get(key) ?? [];
    list.push(sample);
    groups.set(key, list);
  }
  for (const list of groups.values()) list.sort((a, b) => a.sample - b.sample);
  return groups;
}

function badge(cell: CellData): string {
  const passed = cell.samples.filter((sample) => sample.passed).length;
  const count = cell.samples.length > 1 ? ` <span class="count">${passed}/${cell.samples.length}</span>` : '';
  return `<span class="badge ${outcomeClass(cell.outcome)}">${escapeHtml(cell.outcome)}${count}</span>`;
}

function renderRow(taskId: number, task: TaskRecord | undefined, columns: BrowserColumn[], cells: Map<string, CellData>): string {
  const outcomes: Record<string, string> = {};
  for (const column of columns) outcomes[column.key] = cells.get(column.key)!.outcome;
  const text = task?.text ?? '';
  const preview = text.length > TEXT_PREVIEW_CHARACTERS ? `${text.slice(0, TEXT_PREVIEW_CHARACTERS)}…` : text;
  const badges = columns.map((column) => `<td data-column="${escapeHtml(column.key)}">${badge(cells.get(column.key)!)}</td>`).join('');
  return `<tr class="task-row" tabindex="0" data-task="${taskId}" data-outcomes="${escapeHtml(JSON.stringify(outcomes))}"><td class="num">${taskId}</td><td class="description">${escapeHtml(preview)}</td>${badges}</tr>`;
}

function renderDetail(taskId: number, task: TaskRecord | undefined, columns: BrowserColumn[], cells: Map<string, CellData>, runLabels?: string[]): string {
  const parts: string[] = [];
  if (task?.text) parts.push(`<p class="task-text">${escapeHtml(task.text)}</p>`);
  if (task?.reasoning) {
    parts.push(`<details class="reasoning" open><summary>Reasoning <span class="sub">${task.reasoning.length} characters</span></summary><pre>${escapeHtml(task.reasoning)}</pre></details>`);
  }
  if (task?.crv.length) {
    const names = [...new Set(task.crv.flatMap((entry) => Object.keys(entry.figures)))];
    const head = names.map((name) => `<th scope="col">${escapeHtml(name)}</th>`).join('');
    const body = task.crv
      .map((entry) => `<tr><th scope="row">${entry.layer}</th>${names.map((name) => `<td class="num">${formatNumber(entry.figures[name])}</td>`).join('')}</tr>`)
      .join('');
    parts.push(`<table class="crv-task"><caption>CRV per layer${runLabels ? ` (${escapeHtml(runLabels[0])})` : ''}</caption><thead><tr><th scope="col">layer</th>${head}</tr></thead><tbody>${body}</tbody></table>`);
  }
  const cards = columns.map((column) => renderCard(column, cells.get(column.key)!)).join('\n');
  parts.push(`<div class="code-grid" style="--columns: ${Math.min(columns.length, 5)}">${cards}</div>`);
  return `<template id="task-detail-${taskId}">${parts.join('\n')}</template>`;
}

function renderCard(column: BrowserColumn, cell: CellData): string {
  const sample = cell.samples[0];
  let metrics = '';
  if (sample) {
    const curated = CARD_METRICS.filter((name) => name in sample.metrics);
    const names = curated.length ? curated : Object.keys(sample.metrics);
    metrics = names.map((name) => `<span class="metric"><span class="metric-name">${escapeHtml(name)}</span> ${formatFigure(sample.metrics[name])}</span>`).join('');
  }
  const notes = (sample?.notes ?? []).map((note) => `<p class="sample-note">${escapeHtml(note)}</p>`).join('');
  const code = cell.text?.code;
  let codeBlock = `<pre class="code"><code>${escapeHtml(code ?? '')}</code></pre>`;
  if (code === undefined) codeBlock = '<p class="note">No code recorded.</p>';
  else if (code === '') codeBlock = '<p class="note">No code was extracted.</p>';
  const prompt = cell.text?.prompt ? `<details><summary>Prompt</summary><pre>${escapeHtml(cell.text.prompt)}</pre></details>` : '';
  const output = cell.text?.output ? `<details><summary>Model output</summary><pre>${escapeHtml(cell.text.output)}</pre></details>` : '';
  return `<article class="code-card ${outcomeClass(cell.outcome)}" data-column="${escapeHtml(column.key)}"><header><span class="variant">${escapeHtml(column.key)}</span>${badge(cell)}</header><div class="metrics">${metrics}</div>${notes}${codeBlock}${prompt}${output}</article>`;
}
