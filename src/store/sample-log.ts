// samples.jsonl: one JSON record per finished sample, appended and fsynced, read back on resume.

import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { InputError } from '../util/errors.js';
import { log } from '../util/log.js';

/** The fields that identify a sample; every record in samples.jsonl has them. */
export interface SampleKey {
  task_id: number;
  variant: string;
  sample: number;
}

export function sampleKeyString(key: SampleKey): string {
  return `${key.task_id}\u0000${key.variant}\u0000${key.sample}`;
}

/** Largest samples.jsonl read back; a run of 974 tasks with 100 samples each stays well below. */
export const MAX_SAMPLE_LOG_BYTES = 2 * 1024 * 1024 * 1024 - 1;

/** Appends records durably and tracks which sample keys are finished. */
export class SampleLog<T extends SampleKey> {
  private readonly finished = new Set<string>();
  private readonly fd: number;
  readonly records: T[] = [];

  /**
   * Opens (or creates) the log. A last line without its newline, left by a kill during a write, is cut off.
   * A malformed complete line raises InputError, because the file was edited or is damaged.
   */
  constructor(readonly path: string) {
    const validLength = existsSync(path) ? this.readExisting() : 0;
    this.fd = openSync(path, 'a+');
    if (existsSync(path) && statSync(path).size > validLength) {
      ftruncateSync(this.fd, validLength);
      fsyncSync(this.fd);
    }
  }

  has(key: SampleKey): boolean {
    return this.finished.has(sampleKeyString(key));
  }

  get size(): number {
    return this.finished.size;
  }

  /** Writes one record with its newline and fsyncs it; a key that is already finished is rejected. */
  append(record: T): void {
    const key = sampleKeyString(record);
    if (this.finished.has(key)) {
      throw new Error(`sample task_id=${record.task_id} variant=${record.variant} sample=${record.sample} is already in ${this.path}`);
    }
    const bytes = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
    let written = 0;
    while (written < bytes.length) written += writeSync(this.fd, bytes, written);
    fsyncSync(this.fd);
    this.finished.add(key);
    this.records.push(record);
  }

  close(): void {
    closeSync(this.fd);
  }

  /** Loads finished records and returns the byte length of the valid part of the file. */
  private readExisting(): number {
    const size = statSync(this.path).size;
    if (size > MAX_SAMPLE_LOG_BYTES) {
      throw new InputError(`${this.path} is ${size} bytes, more than the ${MAX_SAMPLE_LOG_BYTES} bytes this reader accepts`, {
        source: this.path,
      });
    }
    const bytes = readFileSync(this.path);
    let lineStart = 0;
    let lineNumber = 0;
    while (lineStart < bytes.length) {
      const newline = bytes.indexOf(0x0a, lineStart);
      lineNumber++;
      if (newline < 0) {
        log.warn(`${this.path}: dropping the unfinished last line ${lineNumber} (${bytes.length - lineStart} bytes), left by an interrupted write`);
        return lineStart;
      }
      const line = bytes.subarray(lineStart, newline).toString('utf8');
      if (line.trim() !== '') this.addExisting(line, lineNumber);
      lineStart = newline + 1;
    }
    return lineStart;
  }

  private addExisting(line: string, lineNumber: number): void {
    const where = `${this.path}:${lineNumber}`;
    let record: T;
    try {
      record = JSON.parse(line) as T;
    } catch (error) {
      throw new InputError(`${where}: invalid JSON in the sample log: ${(error as Error).message}`, {
        source: where,
        hint: 'the file was edited or damaged; remove the line or start a new run folder',
      });
    }
    if (typeof record !== 'object' || record === null || typeof record.task_id !== 'number' || typeof record.variant !== 'string' || typeof record.sample !== 'number') {
      throw new InputError(`${where}: a sample record needs task_id (number), variant (string) and sample (number)`, { source: where });
    }
    const key = sampleKeyString(record);
    if (this.finished.has(key)) {
      throw new InputError(`${where}: duplicate sample task_id=${record.task_id} variant=${record.variant} sample=${record.sample}`, { source: where });
    }
    this.finished.add(key);
    this.records.push(record);
  }
}
