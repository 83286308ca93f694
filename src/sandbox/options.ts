// Default limits of the sandbox and validation of SandboxOptions.

import os from 'node:os';

import { InputError } from '../util/errors.js';
import type { SandboxOptions } from './types.js';

export interface ResolvedOptions {
  workers: number;
  timeoutMs: number;
  /** Undefined: each job gets its own wall-time limit rounded up plus one second. */
  cpuSeconds: number | undefined;
  memoryBytes: number;
  maxProcesses: number;
  maxFileBytes: number;
  maxOutputBytes: number;
  requireIsolation: boolean;
  python: string;
  useBubblewrap: boolean;
  uidBase: number;
}

export const DEFAULT_TIMEOUT_MS = 5_000;
export const DEFAULT_MEMORY_BYTES = 1024 * 1024 * 1024;
export const DEFAULT_MAX_PROCESSES = 64;
export const DEFAULT_MAX_FILE_BYTES = 16 * 1024 * 1024;
export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024;
/** First of the unprivileged uids that jobs run as when the sandbox runs as root, one per worker. */
export const DEFAULT_UID_BASE = 61_000;
/** A stream that grows past this many times maxOutputBytes ends the job: endless output cannot run until the timeout. */
export const OUTPUT_KILL_FACTOR = 16;
/** Open files allowed to the program (RLIMIT_NOFILE). */
export const MAX_OPEN_FILES = 256;

export function resolveOptions(options: SandboxOptions): ResolvedOptions {
  const timeoutMs = positive('timeoutMs', options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  return {
    workers: positive('workers', options.workers ?? os.availableParallelism()),
    timeoutMs,
    cpuSeconds: options.cpuSeconds === undefined ? undefined : positive('cpuSeconds', options.cpuSeconds),
    memoryBytes: positive('memoryBytes', options.memoryBytes ?? DEFAULT_MEMORY_BYTES),
    maxProcesses: positive('maxProcesses', options.maxProcesses ?? DEFAULT_MAX_PROCESSES),
    maxFileBytes: positive('maxFileBytes', options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES),
    maxOutputBytes: positive('maxOutputBytes', options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES),
    requireIsolation: options.requireIsolation ?? false,
    python: options.python ?? 'python3',
    useBubblewrap: options.useBubblewrap ?? true,
    uidBase: positive('uidBase', options.uidBase ?? DEFAULT_UID_BASE),
  };
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new InputError(`invalid sandbox option ${name}: ${value}`, {
      source: name,
      expected: 'a positive integer',
      found: String(value),
    });
  }
  return value;
}

/** CPU seconds for one job: the explicit option, else the wall-time limit rounded up plus one. */
export function cpuSecondsFor(options: ResolvedOptions, timeoutMs: number): number {
  // A single thread cannot use more CPU than wall time, so the default only stops multi-threaded programs early.
  return options.cpuSeconds ?? Math.ceil(timeoutMs / 1000) + 1;
}
