// Running one job: spawn the harness (inside bwrap where available), feed it, collect output and its report.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, rm } from 'node:fs/promises';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';

import { log } from '../util/log.js';
import { SANDBOX_HARNESS_DIR, bwrapArgs, type PythonInstall } from './isolation.js';
import { MAX_OPEN_FILES, OUTPUT_KILL_FACTOR, cpuSecondsFor, type ResolvedOptions } from './options.js';
import { classify, type HarnessReport, type RunFacts } from './report.js';
import type { TestJob, TestResult } from './types.js';

/** Everything a worker needs to run jobs; built once by Sandbox.create. */
export interface RunContext {
  options: ResolvedOptions;
  python: PythonInstall;
  /** Path of bwrap, or undefined for limits only. */
  bwrap: string | undefined;
  /** harness.py first, then the modules it imports. */
  harnessFiles: string[];
  /** Parent of the per-job scratch folders. */
  scratchRoot: string;
  runningAsRoot: boolean;
}

/** Time the harness gets beyond the job's timeout to start, report and exit before it is killed from outside. */
const HARNESS_GRACE_MS = 3_000;
/** Time to wait for output pipes to close after the process group was killed. */
const PIPE_CLOSE_GRACE_MS = 1_000;
const MAX_REPORT_BYTES = 16 * 1024 * 1024;

let jobCounter = 0;

/** Capped capture of one output stream: keeps the first `limit` bytes and counts the rest. */
class OutputCapture {
  private chunks: Buffer[] = [];
  private kept = 0;
  total = 0;

  constructor(private readonly limit: number) {}

  add(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.kept >= this.limit) return;
    const part = chunk.subarray(0, this.limit - this.kept);
    this.chunks.push(part);
    this.kept += part.length;
  }

  text(): string {
    const text = Buffer.concat(this.chunks).toString('utf8');
    const dropped = this.total - this.kept;
    return dropped > 0 ? `${text}\n[sandbox: ${dropped} more bytes of output dropped]` : text;
  }
}

/** Run one job in its own process (group) and scratch folder; `uid` is the worker's uid when running as root. */
export async function runJob(job: TestJob, context: RunContext, uid: number | undefined): Promise<TestResult> {
  const { options } = context;
  const timeoutMs = job.timeoutMs ?? options.timeoutMs;
  if (isEmptyProgram(job.program)) return noCodeResult(job);
  const scratchDir = path.join(context.scratchRoot, `job-${++jobCounter}`);
  await mkdir(scratchDir, { mode: 0o700 });
  if (uid !== undefined) {
    // Under bwrap the harness starts as root without CAP_DAC_OVERRIDE, so group root needs access too.
    await chown(scratchDir, uid, context.bwrap !== undefined ? 0 : uid);
    await chmod(scratchDir, context.bwrap !== undefined ? 0o770 : 0o700);
  }

  const started = performance.now();
  try {
    const facts = await spawnHarness(job, context, uid, scratchDir, timeoutMs);
    return classify(job, facts, timeoutMs, performance.now() - started);
  } finally {
    await rm(scratchDir, { recursive: true, force: true });
  }
}

/** True when the program has no statement: only blank lines and comments. */
export function isEmptyProgram(program: string): boolean {
  return program.split('\n').every((line) => {
    const text = line.trim();
    return text === '' || text.startsWith('#');
  });
}

function noCodeResult(job: TestJob): TestResult {
  const notRun = (source: string) => ({ source, status: 'not_run' as const });
  return {
    outcome: 'no_code',
    passed: false,
    asserts: job.tests.map(notRun),
    challengeAsserts: job.challengeTests.map(notRun),
    error: { type: 'NoCode', message: 'the program is empty (only blank lines and comments)' },
    stdout: '',
    stderr: '',
    durationMs: 0,
  };
}

function harnessMessage(job: TestJob, context: RunContext, uid: number | undefined, timeoutMs: number): string {
  const { options } = context;
  const inBwrapAsRoot = context.bwrap !== undefined && uid !== undefined;
  return JSON.stringify({
    program: job.program,
    setupCode: job.setupCode,
    tests: job.tests,
    challengeTests: job.challengeTests,
    timeoutMs,
    limits: {
      processes: processLimit(context, uid),
      memoryBytes: options.memoryBytes,
      cpuSeconds: cpuSecondsFor(options, timeoutMs),
      fileBytes: options.maxFileBytes,
      openFiles: MAX_OPEN_FILES,
    },
    // Inside bwrap the harness starts as root and switches itself; outside it, spawn() switches.
    ...(inBwrapAsRoot ? { uid, gid: uid } : {}),
    exclusiveUid: uid !== undefined,
  });
}

/**
 * RLIMIT_NPROC counts every task (thread) of the real uid. A job's own uid
 * makes that exact; for a normal user the limit adds the user's current
 * tasks. The +1 is the harness's supervisor process.
 */
function processLimit(context: RunContext, uid: number | undefined): number {
  const own = context.options.maxProcesses + 1;
  if (uid !== undefined) return own;
  // NOTE: racy. Without /proc (macOS) the user's other processes are not counted, so forks in the program usually fail.
  return own + countTasksOf(process.getuid?.() ?? -1);
}

/** Count the tasks (threads of all processes) of `uid`, as RLIMIT_NPROC does; 0 without /proc. */
export function countTasksOf(uid: number): number {
  if (process.platform !== 'linux' || uid < 0) return 0;
  let count = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const realUid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
      const threads = Number(/^Threads:\s+(\d+)/m.exec(status)?.[1]);
      if (realUid === uid && threads > 0) count += threads;
    } catch {
      // The process ended while we were counting.
    }
  }
  return count;
}

function spawnHarness(
  job: TestJob,
  context: RunContext,
  uid: number | undefined,
  scratchDir: string,
  timeoutMs: number,
): Promise<RunFacts> {
  const { options, python } = context;
  const pythonArgs = ['-E', '-s', '-B'];
  let command: string;
  let args: string[];
  let spawnOptions: Parameters<typeof spawn>[2];
  if (context.bwrap !== undefined) {
    command = context.bwrap;
    const layout = { bwrap: context.bwrap, python, harnessFiles: context.harnessFiles, scratchDir, runningAsRoot: context.runningAsRoot };
    args = [...bwrapArgs(layout), python.executable, ...pythonArgs, path.posix.join(SANDBOX_HARNESS_DIR, 'harness.py')];
    spawnOptions = { env: {} };
  } else {
    command = python.executable;
    args = [...pythonArgs, context.harnessFiles[0]];
    const env = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: scratchDir, TMPDIR: scratchDir, LANG: 'C.UTF-8' };
    spawnOptions = { env, cwd: scratchDir, ...(uid !== undefined ? { uid, gid: uid } : {}) };
  }
  const nonce = randomBytes(16).toString('hex');
  const message = harnessMessage(job, context, uid, timeoutMs);

  return new Promise<RunFacts>((resolve) => {
    const child = spawn(command, args, { ...spawnOptions, detached: true, stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
    const stdout = new OutputCapture(options.maxOutputBytes);
    const stderr = new OutputCapture(options.maxOutputBytes);
    const reportChunks: Buffer[] = [];
    let reportBytes = 0;
    let outputExceeded = false;
    let harnessTimedOut = false;
    let spawnError: Error | undefined;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

    const killGroup = () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is already gone.
      }
    };
    const outputLimit = options.maxOutputBytes * OUTPUT_KILL_FACTOR;
    const watchOutput = (stream: Readable, capture: OutputCapture) => {
      stream.on('data', (chunk: Buffer) => {
        capture.add(chunk);
        if (capture.total > outputLimit && !outputExceeded) {
          outputExceeded = true;
          killGroup();
        }
      });
      stream.on('error', () => undefined);
    };
    watchOutput(child.stdout!, stdout);
    watchOutput(child.stderr!, stderr);

    const reportStream = child.stdio[3] as Readable & { write(data: string): boolean; end(): void };
    reportStream.on('data', (chunk: Buffer) => {
      reportBytes += chunk.length;
      if (reportBytes <= MAX_REPORT_BYTES) reportChunks.push(chunk);
    });
    reportStream.on('error', () => undefined);
    reportStream.write(`${nonce}\n`);
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(message);

    const backstop = setTimeout(() => {
      harnessTimedOut = true;
      killGroup();
    }, timeoutMs + HARNESS_GRACE_MS);

    let settled = false;
    let closeTimer: NodeJS.Timeout | undefined;
    let sweepDone: Promise<void> = Promise.resolve();
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(backstop);
      clearTimeout(closeTimer);
      // The next job of this worker reuses the uid, so the sweep must end before the worker is free.
      void sweepDone.then(() =>
        resolve({
          report: parseReport(Buffer.concat(reportChunks), nonce),
          stdout: stdout.text(),
          stderr: stderr.text(),
          outputExceeded,
          harnessTimedOut,
          exitCode: exit?.code ?? null,
          exitSignal: exit?.signal ?? null,
          spawnError,
          isolated: context.bwrap !== undefined,
        }),
      );
    };

    child.on('error', (error) => {
      spawnError = error;
      finish();
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      // Whatever the program left behind dies with the group (or with the PID namespace under bwrap).
      killGroup();
      if (uid !== undefined && context.bwrap === undefined) sweepDone = killAllOfUid(uid);
      closeTimer = setTimeout(() => {
        for (const stream of [child.stdout, child.stderr, reportStream]) stream?.destroy();
        finish();
      }, PIPE_CLOSE_GRACE_MS);
    });
    child.on('close', finish);
  });
}

/**
 * Kill every process of the job's uid. Outside bwrap a program can leave its
 * process group with setsid(); only a uid that belongs to this worker alone
 * makes such a process findable.
 */
function killAllOfUid(uid: number): Promise<void> {
  return new Promise((resolve) => {
    const sweeper = spawn('/bin/sh', ['-c', 'kill -9 -1 2>/dev/null; exit 0'], { uid, gid: uid, stdio: 'ignore', env: {} });
    sweeper.on('error', (error) => {
      log.warn(`sandbox: failed to kill the leftover processes of uid ${uid}: ${error.message}`);
      resolve();
    });
    sweeper.on('exit', () => resolve());
  });
}

function parseReport(data: Buffer, nonce: string): HarnessReport | undefined {
  const text = data.toString('utf8');
  const newline = text.indexOf('\n');
  if (newline < 0 || text.slice(0, newline) !== nonce) return undefined;
  try {
    return JSON.parse(text.slice(newline + 1)) as HarnessReport;
  } catch {
    return undefined;
  }
}
