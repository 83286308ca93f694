// A run folder: run.json (provenance and status), samples.jsonl (finished samples) and summaries.
// Opening an existing folder resumes it when the settings match and rejects it when they differ.

import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../util/errors.js';
import { log } from '../util/log.js';
import { SampleLog, type SampleKey } from './sample-log.js';

export type RunStatus = 'running' | 'complete' | 'interrupted' | 'failed';

/** A file the run depends on, identified by content. */
export interface FileIdentity {
  path: string;
  sha256: string;
}

/** Contents of run.json. */
export interface RunManifest {
  tool: { name: string; version: string };
  /** ISO 8601 time the folder was created, and of the last status change. */
  created: string;
  updated: string;
  /** argv after the node executable and script, from the first start. */
  command: string[];
  /** The command name, such as `score` or `eval`. */
  kind: string;
  /** Every option with its effective value, defaults included. */
  options: Record<string, unknown>;
  /** Option names that may change between starts without invalidating the folder (workers, progress). */
  resume_free_options: string[];
  dataset: FileIdentity & { name: string };
  model: FileIdentity | null;
  /** Further input files by role, such as `completions`. */
  inputs: Record<string, FileIdentity>;
  status: RunStatus;
  /** Times the run was started in this folder (1 for a run never resumed). */
  starts: number;
  /** Seconds spent per phase, summed over all starts (eval runs), such as `thinking_s`. */
  timings?: Record<string, number>;
}

export type ManifestRequest = Omit<RunManifest, 'created' | 'updated' | 'status' | 'starts' | 'timings'>;

export const RUN_FILE = 'run.json';
export const SAMPLES_FILE = 'samples.jsonl';
export const LOCK_FILE = 'run.lock';

/** Returns the sha256 of a file, read as a stream. */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Writes a file by writing a temporary sibling and renaming it, so readers never see half a file. */
export function writeFileAtomic(path: string, text: string): void {
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}

/** Lists the settings that differ between a stored manifest and a new request, as readable lines. */
export function manifestDifferences(stored: RunManifest, request: ManifestRequest): string[] {
  const differences: string[] = [];
  const compare = (name: string, before: unknown, after: unknown) => {
    if (JSON.stringify(before) !== JSON.stringify(after)) {
      differences.push(`${name}: folder has ${JSON.stringify(before)}, this command has ${JSON.stringify(after)}`);
    }
  };
  compare('command kind', stored.kind, request.kind);
  const free = new Set([...stored.resume_free_options, ...request.resume_free_options]);
  const names = new Set([...Object.keys(stored.options), ...Object.keys(request.options)]);
  for (const name of [...names].sort()) {
    if (!free.has(name)) compare(`option ${name}`, stored.options[name], request.options[name]);
  }
  compare('dataset sha256', stored.dataset.sha256, request.dataset.sha256);
  compare('model sha256', stored.model?.sha256 ?? null, request.model?.sha256 ?? null);
  const roles = new Set([...Object.keys(stored.inputs), ...Object.keys(request.inputs)]);
  for (const role of [...roles].sort()) compare(`input ${role} sha256`, stored.inputs[role]?.sha256 ?? null, request.inputs[role]?.sha256 ?? null);
  return differences;
}

/** An open run folder, holding its lock until closed. */
export class RunFolder<T extends SampleKey> {
  readonly samples: SampleLog<T>;
  private manifest: RunManifest;
  private closed = false;

  private constructor(readonly dir: string, manifest: RunManifest) {
    this.manifest = manifest;
    this.samples = new SampleLog<T>(join(dir, SAMPLES_FILE));
  }

  /** Creates the folder or resumes it; rejects a folder made with other settings or in use by a live process. */
  static open<T extends SampleKey>(dir: string, request: ManifestRequest): RunFolder<T> {
    mkdirSync(dir, { recursive: true });
    acquireLock(dir);
    try {
      const manifestPath = join(dir, RUN_FILE);
      const now = new Date().toISOString();
      let manifest: RunManifest;
      if (existsSync(manifestPath)) {
        const stored = readManifest(manifestPath);
        const differences = manifestDifferences(stored, request);
        if (differences.length > 0) {
          throw new InputError(`run folder ${dir} was made with other settings, so it cannot be resumed:\n  ${differences.join('\n  ')}`, {
            source: manifestPath,
            hint: 'rerun with the same options and files, or choose another --out folder',
          });
        }
        // Options free to change between starts keep the values of the latest start, so run.json
        // describes the folder as it is now (a larger --limit, more depths).
        manifest = { ...stored, options: request.options, command: request.command, status: 'running', updated: now, starts: stored.starts + 1 };
        log.info(`resuming run folder ${dir} (start ${manifest.starts})`);
      } else {
        manifest = { ...request, created: now, updated: now, status: 'running', starts: 1 };
      }
      // Reading the sample log first means a damaged log leaves run.json as it was.
      const folder = new RunFolder<T>(dir, manifest);
      writeFileAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
      return folder;
    } catch (error) {
      releaseLock(dir);
      throw error;
    }
  }

  get info(): Readonly<RunManifest> {
    return this.manifest;
  }

  /** Writes a file of the run folder atomically. */
  writeFile(name: string, text: string): void {
    writeFileAtomic(join(this.dir, name), text);
  }

  /** Adds seconds (or counts) per phase to the run's timings, which accumulate across starts. */
  addTimings(delta: Record<string, number>): void {
    const timings = { ...(this.manifest.timings ?? {}) };
    for (const [key, value] of Object.entries(delta)) timings[key] = (timings[key] ?? 0) + value;
    this.manifest = { ...this.manifest, timings, updated: new Date().toISOString() };
    writeFileAtomic(join(this.dir, RUN_FILE), `${JSON.stringify(this.manifest, null, 2)}\n`);
  }

  setStatus(status: RunStatus): void {
    this.manifest = { ...this.manifest, status, updated: new Date().toISOString() };
    writeFileAtomic(join(this.dir, RUN_FILE), `${JSON.stringify(this.manifest, null, 2)}\n`);
  }

  /** Records the final status, closes the sample log and releases the lock. */
  close(status: RunStatus): void {
    if (this.closed) return;
    this.closed = true;
    this.setStatus(status);
    this.samples.close();
    releaseLock(this.dir);
  }
}

function readManifest(path: string): RunManifest {
  let manifest: RunManifest;
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8')) as RunManifest;
  } catch (error) {
    throw new InputError(`${path}: invalid JSON: ${(error as Error).message}`, { source: path, hint: 'choose another --out folder' });
  }
  for (const field of ['options', 'dataset', 'inputs', 'resume_free_options'] as const) {
    if (typeof manifest[field] !== 'object' || manifest[field] === null) {
      throw new InputError(`${path}: field ${field} is missing or not an object`, { source: path, hint: 'choose another --out folder' });
    }
  }
  return manifest;
}

function acquireLock(dir: string): void {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
    if (Number.isSafeInteger(owner) && owner !== process.pid && isAlive(owner)) {
      throw new InputError(`run folder ${dir} is in use by process ${owner}`, {
        source: path,
        hint: `wait for it to finish, or delete ${path} if that process is not a nir run`,
      });
    }
    log.warn(`removing the stale lock ${path} of process ${owner}, which is no longer running`);
    rmSync(path, { force: true });
  }
  throw new InputError(`cannot lock run folder ${dir}`, { source: path });
}

function releaseLock(dir: string): void {
  rmSync(join(dir, LOCK_FILE), { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
