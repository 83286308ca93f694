// Measures the per-program cost of the sandbox against a plain interpreter start.
// Run: npx tsc -p tsconfig.json && node dist/tests/sandbox/overhead.bench.js [runs]

import { spawnSync } from 'node:child_process';

import { Sandbox } from '../../src/sandbox/index.js';
import { resolvePython } from '../../src/sandbox/isolation.js';
import { bubblewrapAvailable, job, pythonFor, type SandboxMode } from './helpers.js';

const RUNS = Number(process.argv[2] ?? 20);
const PROGRAM = 'def one():\n    return 1\n';
const TESTS = ['assert one() == 1'];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function timePlain(python: string): number[] {
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    const result = spawnSync(python, ['-c', `${PROGRAM}\n${TESTS.join('\n')}`]);
    if (result.status !== 0) throw new Error(`plain run failed: ${result.stderr}`);
    times.push(performance.now() - started);
  }
  return times;
}

async function timeSandbox(mode: SandboxMode): Promise<number[]> {
  const python = pythonFor(mode);
  const sandbox = await Sandbox.create({ workers: 1, useBubblewrap: mode === 'bubblewrap', ...(python ? { python } : {}) });
  const times: number[] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      const started = performance.now();
      const result = await sandbox.run(job(PROGRAM, TESTS));
      if (!result.passed) throw new Error(`sandbox run failed: ${result.outcome} ${JSON.stringify(result.error)}`);
      times.push(performance.now() - started);
    }
  } finally {
    await sandbox.close();
  }
  return times;
}

const modes: SandboxMode[] = bubblewrapAvailable ? ['bubblewrap', 'limits-only'] : ['limits-only'];
for (const mode of modes) {
  // The resolved executable, because a pyenv shim alone costs tens of milliseconds.
  const python = (await resolvePython(pythonFor(mode) ?? 'python3')).executable;
  const plain = median(timePlain(python));
  const sandboxed = median(await timeSandbox(mode));
  console.log(
    `${mode}: ${python} plain ${plain.toFixed(1)} ms, sandboxed ${sandboxed.toFixed(1)} ms, ` +
      `overhead ${(sandboxed - plain).toFixed(1)} ms (medians of ${RUNS} sequential runs)`,
  );
}
