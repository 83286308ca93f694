import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { formatInterval, formatNumber } from '../../src/report/format.js';
import { buildReport } from '../../src/report/index.js';
import { parseSummary, splitMetrics, type SummaryRow } from '../../src/report/summary.js';
import { InputError } from '../../src/util/errors.js';
import { setLogSink } from '../../src/util/log.js';
import { FIXTURE_TASK_COUNT, FIXTURE_VARIANTS, writeFixtureRun, type FixtureEstimate } from './fixture.js';

type SummaryFile = Awaited<ReturnType<typeof writeFixtureRun>>;
type Figure = FixtureEstimate;

let work: string;
let runA: string;
let runB: string;
let summaryA: SummaryFile;
let summaryB: SummaryFile;
let single: string;

/** Lists (variant, metric, estimate) of the fixture's summary.json: rates, pass@k and code metrics. */
function metricsOf(summary: SummaryFile): [string, string, Figure][] {
  const out: [string, string, Figure][] = [];
  for (const entry of summary.variants) {
    const figures: Record<string, Figure> = {
      response_rate: entry.response_rate,
      syntax_rate: entry.syntax_rate,
      pass_rate: entry.pass_rate,
      ...entry.pass_at_k,
      ...entry.metrics,
    };
    for (const [metric, figure] of Object.entries(figures)) out.push([entry.variant, metric, figure]);
  }
  return out;
}

function figureOf(summary: SummaryFile, variant: string, metric: string): Figure {
  const found = metricsOf(summary).find(([name, key]) => name === variant && key === metric);
  assert.ok(found, `${variant} ${metric} in the fixture`);
  return found[2];
}

/** Returns the attributes and inner HTML of the first element matching `tag` with all `attributes`. */
function findElement(html: string, tag: string, attributes: Record<string, string>): { attributes: Record<string, string>; inner: string } | undefined {
  const pattern = new RegExp(`<${tag}((?:\\s+[\\w-]+(?:="[^"]*")?)*)\\s*>([\\s\\S]*?)</${tag}>`, 'g');
  for (const match of html.matchAll(pattern)) {
    const found: Record<string, string> = {};
    for (const attribute of match[1].matchAll(/([\w-]+)(?:="([^"]*)")?/g)) found[attribute[1]] = attribute[2] ?? '';
    if (Object.entries(attributes).every(([key, value]) => found[key] === value)) return { attributes: found, inner: match[2] };
  }
  return undefined;
}

function textOf(inner: string, className: string): string | undefined {
  return new RegExp(`<span class="${className}">([^<]*)</span>`).exec(inner)?.[1];
}

before(async () => {
  setLogSink(() => {});
  work = await mkdtemp(join(tmpdir(), 'nir-report-'));
  runA = join(work, 'run-a');
  runB = join(work, 'run-b');
  summaryA = await writeFixtureRun(runA);
  summaryB = await writeFixtureRun(runB, { passShift: 0.2 });
  single = await buildReport([runA]);
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

test('summary table equals summary.json', () => {
  const table = findElement(single, 'table', { id: 'summary-table' });
  assert.ok(table, 'summary table present');
  for (const [variant, metric, figure] of metricsOf(summaryA)) {
    const cell = findElement(table.inner, 'td', { 'data-variant': variant, 'data-metric': metric });
    assert.ok(cell, `cell ${variant} ${metric}`);
    assert.equal(Number(cell.attributes['data-mean']), figure.mean, `${variant} ${metric} mean`);
    assert.equal(cell.attributes['data-low'] === undefined ? null : Number(cell.attributes['data-low']), figure.low, `${variant} ${metric} low`);
    assert.equal(cell.attributes['data-high'] === undefined ? null : Number(cell.attributes['data-high']), figure.high, `${variant} ${metric} high`);
    assert.equal(Number(cell.attributes['data-n']), figure.n, `${variant} ${metric} n`);
    assert.equal(textOf(cell.inner, 'mean'), formatNumber(figure.mean));
    assert.equal(textOf(cell.inner, 'ci'), formatInterval(figure.low, figure.high));
  }
});

test('paired p-values in cells', () => {
  const table = findElement(single, 'table', { id: 'summary-table' })!;
  const cell = findElement(table.inner, 'td', { 'data-variant': 'L1', 'data-metric': 'pass_rate' });
  assert.ok(cell);
  assert.match(cell.inner, /data-p="0.0078">p 0.008 \*\*</);
  const characters = findElement(table.inner, 'td', { 'data-variant': 'L10', 'data-metric': 'characters' });
  assert.match(characters!.inner, /data-p="0.031">p 0.031 \*</);
  const orig = findElement(table.inner, 'td', { 'data-variant': 'orig', 'data-metric': 'pass_rate' });
  assert.doesNotMatch(orig!.inner, /data-p=/);
});

test('every plot has an SVG', () => {
  const metrics = [...new Set(metricsOf(summaryA).map(([, metric]) => metric))];
  const expected = ['outcomes', ...metrics.map((metric) => `depth:${metric}`), 'trade-off', 'crv:norm_mean', 'timings'];
  const found = [...single.matchAll(/<figure class="chart" data-chart="([^"]+)"><svg[\s\S]*?<\/svg>/g)].map((match) => match[1]);
  assert.deepEqual(found.sort(), expected.sort());
});

test('depth plot draws each depth', () => {
  const figure = /<figure class="chart" data-chart="depth:pass_rate">([\s\S]*?)<\/figure>/.exec(single)?.[1] ?? '';
  // vega's SVG renderer draws line points as one symbol path each: L1, L10 and L23.
  const symbols = /<g class="mark-symbol role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/.exec(figure)?.[1] ?? '';
  assert.equal((symbols.match(/<path /g) ?? []).length, 3);
  // orig is one dashed rule.
  assert.match(figure, /stroke-dasharray="5,4"/);
});

test('task browser rows and escaping', () => {
  const rows = [...single.matchAll(/<tr class="task-row"[^>]*data-task="(\d+)"/g)].map((match) => Number(match[1]));
  assert.equal(rows.length, FIXTURE_TASK_COUNT);
  for (const taskId of rows) assert.match(single, new RegExp(`<template id="task-detail-${taskId}">`));
  for (const variant of FIXTURE_VARIANTS) assert.match(single, new RegExp(`<option value="${variant}">`));
  // Task 12's code contains markup, so only its escaped form may appear.
  assert.doesNotMatch(single, /<script>window\.__pwned/);
  assert.match(single, /&lt;\/script&gt;&lt;script&gt;window\.__pwned/);
  assert.doesNotMatch(single, /<img src="http/);
});

test('page loads nothing from outside', () => {
  assert.match(single, /<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
  assert.doesNotMatch(single, /\s(src|href)="(https?:)?\/\//);
  assert.doesNotMatch(single, /url\(\s*['"]?https?:/);
  assert.doesNotMatch(single, /<link /);
});

test('comparison shows A, B and B − A', async () => {
  const html = await buildReport([runA, runB]);
  const table = findElement(html, 'table', { id: 'comparison-table' });
  assert.ok(table);
  for (const [variant, metric, figureA] of metricsOf(summaryA)) {
    const figureB = figureOf(summaryB, variant, metric);
    const row: string | undefined = new RegExp(`<tr data-metric="${metric.replace(/[@]/g, '\\$&')}" data-variant="${variant}">([\\s\\S]*?)</tr>`).exec(table.inner)?.[1];
    assert.ok(row, `row ${metric} ${variant}`);
    const values: (readonly [number, string])[] = [...row.matchAll(/data-value="([^"]*)">([^<]*)</g)].map((match) => [Number(match[1]), match[2]] as const);
    assert.equal(values.length, 3);
    assert.equal(values[0][0], figureA.mean);
    assert.equal(values[1][0], figureB.mean);
    assert.equal(values[2][0], figureB.mean! - figureA.mean!);
    assert.equal(values[0][1], formatNumber(figureA.mean));
  }
  assert.match(html, /id="summary-table-A"/);
  assert.match(html, /id="summary-table-B"/);
});

test('optional files may be missing', async () => {
  const bare = join(work, 'bare');
  await writeFixtureRun(bare, { omit: ['run.json', 'samples.jsonl', 'tasks.jsonl'] });
  const html = await buildReport([bare]);
  assert.match(html, /id="summary-table"/);
  assert.doesNotMatch(html, /id="task-table"/);
  assert.doesNotMatch(html, /data-chart="crv:/);
  // The outcome chart comes from summary.json's counts even without samples.jsonl.
  assert.match(html, /data-chart="outcomes"/);
  assert.match(html, /no run\.json in/);
});

test('missing summary.json is an InputError', async () => {
  const empty = join(work, 'empty');
  await writeFixtureRun(empty);
  await rm(join(empty, 'summary.json'));
  await assert.rejects(buildReport([empty]), (error: unknown) => {
    assert.ok(error instanceof InputError);
    assert.match(error.message, /empty\/summary\.json not found/);
    return true;
  });
});

test('malformed records name file and line', async () => {
  const broken = join(work, 'broken');
  await writeFixtureRun(broken);
  const samples = (await readFile(join(broken, 'samples.jsonl'), 'utf8')).split('\n');
  samples[4] = '{"task_id": 12, "variant": "L1", oops';
  await writeFile(join(broken, 'samples.jsonl'), samples.join('\n'));
  await assert.rejects(buildReport([broken]), /samples\.jsonl:5: invalid JSON/);

  await writeFixtureRun(broken);
  await appendFile(join(broken, 'samples.jsonl'), '{"task_id": 99, "varia');
  const html = await buildReport([broken]);
  assert.match(html, /samples\.jsonl:\d+: dropped the unfinished last line/);

  await writeFixtureRun(broken);
  await writeFile(join(broken, 'tasks.jsonl'), '{"task_id": 11, "variants": {"<b>x</b>": {"code": "1"}}}\n');
  await assert.rejects(buildReport([broken]), /tasks\.jsonl record 1: invalid variant name/);
});

test('splitMetrics folds minor metrics', () => {
  const row = (metric: string, mean: number | null): SummaryRow => ({ variant: 'orig', metric, estimate: { n: 1, mean, low: null, high: null } });
  const rows = [row('syntax_rate', 1), row('challenge_pass_rate', null), row('halstead_h1', 3), row('pass@1', 0.5), row('characters', 120), row('loc', 7)];
  assert.deepEqual(splitMetrics(rows), { key: ['syntax_rate', 'pass@1', 'characters'], more: ['challenge_pass_rate', 'halstead_h1', 'loc'] });
  assert.deepEqual(splitMetrics([row('score', 2), row('speed', 3)]), { key: ['score', 'speed'], more: [] });
});

test('summary shapes parse alike', () => {
  const written = {
    created: '2026-12-04T00:00:00Z',
    variants: [
      { variant: 'orig', samples: 3, tasks: 3, outcomes: { passed: 2 }, samples_per_task: { min: 1, max: 1 }, syntax: { n: 3, mean: 0.5, low: 0.1, high: 0.9 } },
      { variant: 'L2', samples: 3, tasks: 3, pass_at_k: {}, metrics: { syntax: { n: null, mean: 0.25, low: 0, high: 0.6 } } },
    ],
  };
  const nested = { variants: { orig: { n: 3, syntax: { n: 3, mean: 0.5, low: 0.1, high: 0.9 } }, L2: { syntax: { mean: 0.25, ci: [0, 0.6] } } } };
  const flat = { orig: { n: 3, syntax: { n: 3, mean: 0.5, low: 0.1, high: 0.9 } }, L2: { syntax: { mean: 0.25, ci: [0, 0.6] } } };
  const rows = [
    { variant: 'orig', metric: 'syntax', n: 3, mean: 0.5, low: 0.1, high: 0.9 },
    { variant: 'L2', metric: 'syntax', mean: 0.25, low: 0, high: 0.6 },
  ];
  const expected = [
    { variant: 'orig', metric: 'syntax', estimate: { n: 3, mean: 0.5, low: 0.1, high: 0.9 } },
    { variant: 'L2', metric: 'syntax', estimate: { n: null, mean: 0.25, low: 0, high: 0.6 } },
  ];
  assert.deepEqual(parseSummary(nested, 'nested'), expected);
  assert.deepEqual(parseSummary(flat, 'flat'), expected);
  assert.deepEqual(parseSummary(rows, 'rows'), expected);
  assert.deepEqual(parseSummary(written, 'written'), expected);
  assert.throws(() => parseSummary({ orig: { syntax: { mean: 'high' } } }, 'bad'), /bad variant orig metric syntax\.mean: expected a finite number/);
  assert.throws(() => parseSummary({}, 'none'), /no variant has any metric/);
});
