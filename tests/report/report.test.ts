import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { formatInterval, formatNumber } from '../../src/report/format.js';
import { buildReport } from '../../src/report/index.js';
import { parseSummary } from '../../src/report/summary.js';
import { InputError } from '../../src/util/errors.js';
import { setLogSink } from '../../src/util/log.js';
import { FIXTURE_TASK_COUNT, FIXTURE_VARIANTS, writeFixtureRun } from './fixture.js';

type SummaryFile = Awaited<ReturnType<typeof writeFixtureRun>>;
type Figure = { n: number; mean: number; low: number; high: number };

let work: string;
let runA: string;
let runB: string;
let summaryA: SummaryFile;
let summaryB: SummaryFile;
let single: string;

function metricsOf(summary: SummaryFile): [string, string, Figure][] {
  const out: [string, string, Figure][] = [];
  for (const [variant, metrics] of Object.entries(summary.variants)) {
    for (const [metric, value] of Object.entries(metrics)) if (metric !== 'n') out.push([variant, metric, value as Figure]);
  }
  return out;
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
    assert.equal(Number(cell.attributes['data-low']), figure.low, `${variant} ${metric} low`);
    assert.equal(Number(cell.attributes['data-high']), figure.high, `${variant} ${metric} high`);
    assert.equal(Number(cell.attributes['data-n']), figure.n, `${variant} ${metric} n`);
    assert.equal(textOf(cell.inner, 'mean'), formatNumber(figure.mean));
    assert.equal(textOf(cell.inner, 'ci'), formatInterval(figure.low, figure.high));
  }
});

test('every plot has an SVG', () => {
  const metrics = Object.keys(summaryA.variants.orig).filter((key) => key !== 'n');
  const expected = [...metrics.map((metric) => `depth:${metric}`), 'trade-off', 'crv:norm_mean', 'timings'];
  const found = [...single.matchAll(/<figure class="chart" data-chart="([^"]+)"><svg[\s\S]*?<\/svg>/g)].map((match) => match[1]);
  assert.deepEqual(found.sort(), expected.sort());
});

test('depth plot draws each depth', () => {
  const figure = /<figure class="chart" data-chart="depth:pass@1">([\s\S]*?)<\/figure>/.exec(single)?.[1] ?? '';
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
    const figureB = summaryB.variants[variant][metric] as Figure;
    const row: string | undefined = new RegExp(`<tr data-metric="${metric.replace(/[@]/g, '\\$&')}" data-variant="${variant}">([\\s\\S]*?)</tr>`).exec(table.inner)?.[1];
    assert.ok(row, `row ${metric} ${variant}`);
    const values: (readonly [number, string])[] = [...row.matchAll(/data-value="([^"]*)">([^<]*)</g)].map((match) => [Number(match[1]), match[2]] as const);
    assert.equal(values.length, 3);
    assert.equal(values[0][0], figureA.mean);
    assert.equal(values[1][0], figureB.mean);
    assert.equal(values[2][0], figureB.mean - figureA.mean);
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

test('summary shapes parse alike', () => {
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
  assert.throws(() => parseSummary({ orig: { syntax: { mean: 'high' } } }, 'bad'), /bad variant orig metric syntax\.mean: expected a finite number/);
  assert.throws(() => parseSummary({}, 'none'), /no variant has any metric/);
});
