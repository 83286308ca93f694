// `nir score`: score completions of MBPP tasks into a resumable run folder.

import { availableParallelism } from 'node:os';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadDataset, type Task } from '../../data/mbpp.js';
import { Sandbox } from '../../sandbox/index.js';
import { readCompletions } from '../../score/completions.js';
import { MetricsPool } from '../../score/metrics-client.js';
import type { SampleRecord } from '../../score/sample.js';
import { runBounded, scoreCompletion } from '../../score/scorer.js';
import { summarize, summaryCsv, summaryMarkdown } from '../../score/summary.js';
import { hashFile, RunFolder } from '../../store/run-folder.js';
import { InputError } from '../../util/errors.js';
import { optionalInteger, readToolVersion } from '../option-values.js';

const HELP = `usage: nir score --completions FILE.jsonl [OPTIONS]

Scores completions of MBPP tasks: extracts the program, computes its metrics
and runs the task's asserts in the sandbox. Each record of FILE.jsonl has
task_id, completion, and optionally variant (default "default") and sample
(default 0). Rerunning the same command resumes an interrupted run.

options:
  --completions FILE  JSON Lines file of completions (required)
  --out DIR           run folder (default runs/score-<name of FILE>)
  --dataset D         full, sanitized, or the path of an MBPP JSONL file (default full)
  --workers N         samples scored at once (default: CPU count, at most 8)
  --timeout-ms N      wall-clock limit of one program's asserts, in ms (default 5000)
  --no-tests          compute metrics only; do not run the asserts
  -h, --help          show this help`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      completions: { type: 'string' },
      out: { type: 'string' },
      dataset: { type: 'string', default: 'full' },
      workers: { type: 'string' },
      'timeout-ms': { type: 'string' },
      'no-tests': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.completions === undefined) {
    console.error(`nir score: --completions is required\n\n${HELP}`);
    return 2;
  }
  const workers = optionalInteger('--workers', values.workers, Math.min(8, availableParallelism()), 1);
  const timeoutMs = optionalInteger('--timeout-ms', values['timeout-ms'], 5000, 1);
  const completionsPath = resolve(values.completions);
  const outDir = resolve(values.out ?? `runs/score-${basename(completionsPath).replace(/\.jsonl?$/, '')}`);
  const runTests = !values['no-tests'];

  const dataset = loadDataset(values.dataset!);
  const completions = readCompletions(completionsPath);
  const tasks = new Map<number, Task>(dataset.tasks.map((task) => [task.taskId, task]));
  const unknown = completions.filter((item) => !tasks.has(item.task_id)).map((item) => item.task_id);
  if (unknown.length > 0) {
    throw new InputError(`completions refer to task ids missing from dataset ${values.dataset}: ${[...new Set(unknown)].slice(0, 10).join(', ')}`, {
      source: completionsPath,
      hint: 'choose the matching --dataset',
    });
  }

  const folder = RunFolder.open<SampleRecord>(outDir, {
    tool: { name: 'nir', version: readToolVersion() },
    command: process.argv.slice(2),
    kind: 'score',
    options: { completions: completionsPath, dataset: values.dataset, workers, timeout_ms: timeoutMs, run_tests: runTests },
    resume_free_options: ['workers', 'completions'],
    dataset: { name: dataset.name, path: dataset.path, sha256: dataset.sha256 },
    model: null,
    inputs: { completions: { path: completionsPath, sha256: await hashFile(completionsPath) } },
  });

  const pending = completions.filter((item) => !folder.samples.has(item));
  process.stderr.write(`nir score: ${completions.length} completions, ${completions.length - pending.length} already scored in ${outDir}\n`);

  const metrics = new MetricsPool(workers);
  const sandbox = runTests ? await Sandbox.create({ workers, timeoutMs }) : null;
  let stopRequested = false;
  const onInterrupt = () => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    process.stderr.write('\nnir score: stopping after the samples in flight; press Ctrl-C again to quit now\n');
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);

  let done = 0;
  let passed = 0;
  let lastProgress = 0;
  let status: 'complete' | 'interrupted' | 'failed' = 'failed';
  try {
    await runBounded(
      pending,
      workers,
      async (item) => {
        const task = tasks.get(item.task_id)!;
        const record = await scoreCompletion(task, item.completion, { task_id: item.task_id, variant: item.variant, sample: item.sample }, {
          metrics,
          sandbox,
          timeoutMs,
        });
        folder.samples.append(record);
        done++;
        if (record.passed) passed++;
        if (Date.now() - lastProgress > 2000 || done === pending.length) {
          lastProgress = Date.now();
          process.stderr.write(`nir score: ${done}/${pending.length} scored, ${passed} passed\n`);
        }
      },
      () => stopRequested,
    );
    status = stopRequested ? 'interrupted' : 'complete';
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
    await metrics.close();
    await sandbox?.close();
    const summary = summarize(folder.samples.records);
    folder.writeFile('summary.json', `${JSON.stringify(summary, null, 2)}\n`);
    folder.writeFile('summary.csv', summaryCsv(summary));
    folder.writeFile('summary.md', summaryMarkdown(summary));
    folder.close(status);
  }
  console.log(`${outDir}: ${folder.samples.size} samples scored (${status}); summary in summary.md`);
  return status === 'complete' ? 0 : 130;
}
