// Public entry of the sandbox: a pool of workers that run untrusted Python against MBPP asserts.

import { existsSync, realpathSync, statSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { InputError } from '../util/errors.js';
import { log } from '../util/log.js';
import { findBubblewrap, requireFile, resolvePython } from './isolation.js';
import { resolveOptions } from './options.js';
import { runJob, type RunContext } from './process.js';
import type { SandboxOptions, TestJob, TestResult } from './types.js';
import { claimUids, releaseUids } from './uids.js';

export type { AssertResult, Outcome, SandboxOptions, TestJob, TestResult } from './types.js';

/** Repository folder holding harness.py; this file compiles to dist/src/sandbox/index.js. */
const HARNESS_DIR = fileURLToPath(new URL('../../../python/', import.meta.url));
const HARNESS_FILES = ['harness.py', 'harness_asserts.py'];

let warnedMissingBubblewrap = false;

/** Pool of workers, each running one job at a time in its own sandboxed process tree. */
export class Sandbox {
  private readonly freeWorkers: number[];
  private readonly waiting: Array<(worker: number) => void> = [];
  private readonly running = new Set<Promise<unknown>>();
  private closed = false;

  private constructor(
    private readonly context: RunContext,
    /** The uid of each worker when running as root, else empty. */
    readonly workerUids: number[],
  ) {
    this.freeWorkers = Array.from({ length: context.options.workers }, (_, index) => index);
  }

  /** True when jobs run inside bubblewrap namespaces, false when only resource limits apply. */
  get isolated(): boolean {
    return this.context.bwrap !== undefined;
  }

  /**
   * Find the interpreter and bubblewrap, then run one known-good job to
   * prove the setup works. Rejects with InputError when it does not, or when
   * `requireIsolation` is set and bubblewrap is missing.
   */
  static async create(options: SandboxOptions = {}): Promise<Sandbox> {
    const resolved = resolveOptions(options);
    const harnessFiles = HARNESS_FILES.map((name) => path.join(HARNESS_DIR, name));
    for (const file of harnessFiles) requireFile(file, 'sandbox harness');

    const bwrap = resolved.useBubblewrap ? findBubblewrap() : undefined;
    if (bwrap === undefined) {
      if (resolved.requireIsolation) {
        throw new InputError('bubblewrap (bwrap) is required but was not found', {
          expected: 'bwrap on PATH (Linux)',
          found: resolved.useBubblewrap ? 'no bwrap' : 'useBubblewrap: false',
          hint: 'apt-get install bubblewrap, or drop requireIsolation to run with resource limits only',
        });
      }
      if (resolved.useBubblewrap && !warnedMissingBubblewrap) {
        warnedMissingBubblewrap = true;
        log.warn(
          'sandbox: bubblewrap not found, so programs run with resource limits only: they can use the network and read ' +
            'files this user can read. Install it with `apt-get install bubblewrap`.',
        );
      }
    }

    const runningAsRoot = process.getuid?.() === 0;
    let python = await resolvePython(resolved.python);
    // Without bubblewrap, jobs run as other uids that cannot read a Python installed under /root
    // (pyenv). When the interpreter was not chosen explicitly, the system one is used instead.
    if (runningAsRoot && bwrap === undefined && options.python === undefined && !othersCanRun(python.executable)) {
      const fallback = '/usr/bin/python3';
      if (existsSync(fallback) && othersCanRun(realpathSync(fallback))) {
        log.warn(`sandbox: ${python.executable} is not readable by the job uids, so programs run with ${fallback}`);
        python = await resolvePython(fallback);
      }
    }
    const scratchRoot = await mkdtemp(path.join(os.tmpdir(), 'nir-sandbox-'));
    // Job uids must pass through to their own folders, but not list the others.
    await chmod(scratchRoot, 0o711);

    const workerUids = runningAsRoot ? claimUids(resolved.uidBase, resolved.workers) : [];
    const sandbox = new Sandbox({ options: resolved, python, bwrap, harnessFiles, scratchRoot, runningAsRoot }, workerUids);
    await sandbox.selfCheck();
    log.debug(
      `sandbox: ${resolved.workers} workers, ${bwrap ? `bubblewrap ${bwrap}` : 'resource limits only'}, ` +
        `python ${python.executable} ${python.version}${workerUids.length ? `, job uids ${workerUids.join(', ')}` : ''}`,
    );
    return sandbox;
  }

  /** Run one job; waits for a free worker first. Never rejects for anything the program does. */
  async run(job: TestJob): Promise<TestResult> {
    if (this.closed) throw new Error('Sandbox.run called after close()');
    const worker = await this.acquireWorker();
    const uid = this.workerUids[worker];
    const task = runJob(job, this.context, uid);
    this.running.add(task);
    try {
      return await task;
    } finally {
      this.running.delete(task);
      this.releaseWorker(worker);
    }
  }

  /** Wait for running jobs, then delete the scratch folders. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.running]);
    releaseUids(this.workerUids);
    await rm(this.context.scratchRoot, { recursive: true, force: true });
  }

  private acquireWorker(): Promise<number> {
    const worker = this.freeWorkers.pop();
    if (worker !== undefined) return Promise.resolve(worker);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private releaseWorker(worker: number): void {
    const next = this.waiting.shift();
    if (next) next(worker);
    else this.freeWorkers.push(worker);
  }

  private async selfCheck(): Promise<void> {
    const result = await this.run({
      id: 'sandbox-self-check',
      program: 'def double(x):\n    return 2 * x\n',
      setupCode: '',
      tests: ['assert double(21) == 42', 'assert double(1) == 3'],
      challengeTests: [],
    });
    const statuses = result.asserts.map((item) => item.status).join(',');
    if (result.asserts[0]?.status !== 'passed' || result.asserts[1]?.status !== 'failed') {
      await this.close();
      const mode = this.isolated ? 'inside bubblewrap' : 'with resource limits only';
      throw new InputError(`the sandbox self-check failed ${mode}: outcome ${result.outcome}, asserts ${statuses}`, {
        source: this.context.python.executable,
        expected: 'asserts passed,failed',
        found: `${statuses}; ${result.error?.type ?? ''} ${result.error?.message ?? ''}; stderr: ${result.stderr.slice(0, 2000)}`,
        hint: this.context.runningAsRoot
          ? `jobs run as uids ${this.workerUids.join(', ')}; without bubblewrap that uid must be able to read the ` +
            'interpreter (a Python under /root is not readable): install bubblewrap or pass python: "/usr/bin/python3"'
          : 'check that python3 starts and, with bubblewrap, that user namespaces are enabled',
      });
    }
  }
}

/** Checks that users other than the owner can reach and execute `file`, which needs o+x on every folder above it. */
function othersCanRun(file: string): boolean {
  if ((statSync(file).mode & 0o005) !== 0o005) return false;
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
    if (dir === path.dirname(dir)) return true;
  }
}
