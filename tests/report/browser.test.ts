// Loads a rendered report in headless Chromium (playwright-core), uses the filters and the task
// dialog, saves screenshots under test-artifacts/ and checks that the page made no request.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';

import { chromium, type BrowserContext, type Page } from 'playwright-core';

import { formatNumber } from '../../src/report/format.js';
import { writeReport } from '../../src/report/index.js';
import { setLogSink } from '../../src/util/log.js';
import { FIXTURE_TASK_COUNT, FIXTURE_VARIANTS, fixtureSamples, writeFixtureRun } from './fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test-artifacts');
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed`;

let work: string;
let context: BrowserContext;
let summary: Awaited<ReturnType<typeof writeFixtureRun>>;
const requests: string[] = [];

before(async () => {
  if (skip) return;
  setLogSink(() => {});
  work = await mkdtemp(join(tmpdir(), 'nir-report-browser-'));
  summary = await writeFixtureRun(join(work, 'run-a'));
  await writeFixtureRun(join(work, 'run-b'), { passShift: 0.15 });
  await writeReport([join(work, 'run-a')], join(work, 'report.html'));
  await writeReport([join(work, 'run-a'), join(work, 'run-b')], join(work, 'compare.html'));
  await mkdir(ARTIFACTS, { recursive: true });
  context = await chromium.launchPersistentContext(join(work, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1440, height: 1000 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  context.on('request', (request) => requests.push(request.url()));
});

after(async () => {
  if (skip) return;
  await context?.close();
  await rm(work, { recursive: true, force: true });
});

async function openReport(file: string): Promise<{ page: Page; url: string }> {
  const page = await context.newPage();
  const url = pathToFileURL(join(work, file)).href;
  await page.goto(url);
  return { page, url };
}

test('report page in Chromium', { skip }, async () => {
  requests.length = 0;
  const { page, url } = await openReport('report.html');

  // Summary table: every cell shows the figure of summary.json.
  let metricCount = 0;
  for (const entry of summary.variants) {
    const figures = { response_rate: entry.response_rate, syntax_rate: entry.syntax_rate, pass_rate: entry.pass_rate, ...entry.pass_at_k, ...entry.metrics };
    metricCount = Object.keys(figures).length;
    for (const [metric, figure] of Object.entries(figures)) {
      const cell = page.locator(`#summary-table td[data-variant="${entry.variant}"][data-metric="${metric}"]`);
      assert.equal(await cell.locator('.mean').textContent(), formatNumber(figure.mean), `${entry.variant} ${metric}`);
      assert.equal(Number(await cell.getAttribute('data-mean')), figure.mean);
    }
  }

  // Every plot is an SVG with a visible size, including those of the folded-away metrics.
  await page.locator('details.more-plots').evaluateAll((elements) => elements.forEach((element) => ((element as HTMLDetailsElement).open = true)));
  const charts = page.locator('figure.chart');
  const chartCount = await charts.count();
  assert.equal(chartCount, 1 + metricCount + 1 + 1 + 1, 'outcomes, one depth plot per metric, trade-off, CRV and timings');
  for (let index = 0; index < chartCount; index++) {
    const box = await charts.nth(index).locator('svg').boundingBox();
    const name = await charts.nth(index).getAttribute('data-chart');
    assert.ok(box, `chart ${name} is rendered`);
    assert.ok(box.width > 100, `chart ${name} is ${box.width} px wide`);
    assert.ok(box.height > 80, `chart ${name} is ${box.height} px high`);
  }
  await page.screenshot({ path: join(ARTIFACTS, 'report-top.png') });
  await page.screenshot({ path: join(ARTIFACTS, 'report-full.png'), fullPage: true });

  // The depth filter hides the other depths' columns; the outcome filter then applies to that depth.
  await page.selectOption('#filter-depth', 'L10');
  await page.selectOption('#filter-outcome', 'passed');
  const expectedRows = fixtureSamples().filter((sample) => sample.variant === 'L10' && sample.outcome === 'passed').length;
  assert.ok(expectedRows > 0, 'the fixture has passed L10 tasks');
  assert.ok(expectedRows < FIXTURE_TASK_COUNT, 'the fixture has failed L10 tasks');
  assert.equal(await page.locator('tr.task-row:visible').count(), expectedRows);
  assert.equal(await page.locator('#task-count').textContent(), `${expectedRows} of ${FIXTURE_TASK_COUNT} tasks`);
  assert.equal(await page.locator('#task-table thead th[data-column]:visible').count(), 1);
  assert.equal(await page.locator('#task-table thead th[data-column="L10"]').isVisible(), true);

  // Opening a task shows every depth's code side by side, with the filtered depth marked.
  const firstRow = page.locator('tr.task-row:visible').first();
  const taskId = await firstRow.getAttribute('data-task');
  await firstRow.click();
  const dialog = page.locator('#task-dialog');
  assert.equal(await dialog.isVisible(), true);
  assert.equal(await page.locator('#dialog-title').textContent(), `Task ${taskId}`);
  assert.equal(await dialog.locator('.code-card').count(), FIXTURE_VARIANTS.length);
  assert.equal(await dialog.locator('.code-card.selected').getAttribute('data-column'), 'L10');
  assert.match((await dialog.locator('.code-card[data-column="L10"] pre.code').textContent()) ?? '', new RegExp(`def smallest_k_${taskId}`));
  await page.screenshot({ path: join(ARTIFACTS, 'report-task-dialog.png') });

  // Task 12's code carries a script and an image tag: they must stay text.
  await page.locator('#dialog-close').click();
  await page.selectOption('#filter-outcome', '');
  await page.selectOption('#filter-depth', '');
  await page.locator('tr.task-row[data-task="12"]').click();
  assert.match((await page.locator('#dialog-body .code-card').first().textContent()) ?? '', /<\/script><script>window\.__pwned/);
  assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: boolean }).__pwned), undefined);

  assert.deepEqual(requests, [url], 'the page requested nothing besides itself');
  await page.close();
});

test('comparison page in Chromium', { skip }, async () => {
  requests.length = 0;
  const { page, url } = await openReport('compare.html');
  assert.equal(await page.locator('#summary-table-A').isVisible(), true);
  assert.equal(await page.locator('#summary-table-B').isVisible(), true);
  const rows = page.locator('#comparison-table tbody tr');
  const metricCount = await page.locator('#summary-table-A tbody tr').count();
  assert.equal(await rows.count(), metricCount * FIXTURE_VARIANTS.length);
  assert.equal(await page.locator('#task-table thead th[data-column]').count(), 2 * FIXTURE_VARIANTS.length);
  await page.screenshot({ path: join(ARTIFACTS, 'report-compare.png'), fullPage: true });
  assert.deepEqual(requests, [url], 'the page requested nothing besides itself');
  await page.close();
});
