// Shared setup for the sandbox tests: sandbox modes, jobs and process scans.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';

import { Sandbox } from '../../src/sandbox/index.js';
import { findBubblewrap } from '../../src/sandbox/isolation.js';
import type { SandboxOptions, TestJob } from '../../src/sandbox/types.js';

export type SandboxMode = 'bubblewrap' | 'limits-only';

export const runningAsRoot = process.getuid?.() === 0;
export const bubblewrapAvailable = findBubblewrap() !== undefined;

/**
 * Small limits keep the hostile programs light on a shared machine. The
 * timeout is generous because a loaded machine can take seconds to start
 * Python; tests about timeouts set their own short one.
 */
export const HOSTILE_LIMITS: SandboxOptions = {
  workers: 2,
  timeoutMs: 10_000,
  memoryBytes: 256 * 1024 * 1024,
  maxProcesses: 16,
  maxOutputBytes: 4 * 1024,
};

/**
 * Return the interpreter for a mode. Without bubblewrap, a sandbox started
 * as root runs jobs as an unprivileged uid, and that uid cannot enter /root,
 * where pyenv keeps its interpreters. The system interpreter is readable by
 * every uid.
 */
export function pythonFor(mode: SandboxMode): string | undefined {
  if (mode === 'limits-only' && runningAsRoot && existsSync('/usr/bin/python3')) return '/usr/bin/python3';
  return undefined;
}

export async function createSandbox(mode: SandboxMode, options: SandboxOptions = {}): Promise<Sandbox> {
  const python = pythonFor(mode);
  return Sandbox.create({
    ...HOSTILE_LIMITS,
    ...options,
    useBubblewrap: mode === 'bubblewrap',
    requireIsolation: mode === 'bubblewrap',
    ...(python ? { python } : {}),
  });
}

let jobNumber = 0;

export function job(program: string, tests: string[] = ['assert True'], extra: Partial<TestJob> = {}): TestJob {
  return { id: `hostile-${++jobNumber}`, program, setupCode: '', tests, challengeTests: [], ...extra };
}

/** Build a string unlikely to appear in any other process's command line. */
export function uniqueMarker(name: string): string {
  return `nir-sandbox-test-${name}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

/** Pids of live processes whose command line contains `marker`. */
export function processesWithMarker(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(marker) && !isZombie(entry)) found.push(Number(entry));
    } catch {
      // The process ended during the scan.
    }
  }
  return found;
}

/** Pids of live processes owned by any of `uids` (the sandbox's worker uids when run as root). */
export function processesOfUids(uids: number[]): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const uid = statSync(`/proc/${entry}`).uid;
      if (uids.includes(uid) && !isZombie(entry)) found.push(Number(entry));
    } catch {
      // The process ended during the scan.
    }
  }
  return found;
}

function isZombie(pid: string): boolean {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
}

/** Wait until `check` returns true, polling every 50 ms, for at most `limitMs`. */
export async function waitFor(check: () => boolean, limitMs: number): Promise<boolean> {
  const end = Date.now() + limitMs;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}
