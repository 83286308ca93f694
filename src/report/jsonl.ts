// Read-only JSON Lines reader for run folder files.

import { readFile, stat } from 'node:fs/promises';

import { InputError } from '../util/errors.js';
import { log } from '../util/log.js';

/** Largest JSON Lines or JSON file the report reads, so a wrong path cannot fill memory. */
export const MAX_RUN_FILE_BYTES = 1024 * 1024 * 1024;

/** Reads a whole file after checking its size against MAX_RUN_FILE_BYTES. */
export async function readRunFile(path: string): Promise<string> {
  const info = await stat(path);
  if (!info.isFile()) throw new InputError(`${path} is not a regular file`, { source: path });
  if (info.size > MAX_RUN_FILE_BYTES) {
    throw new InputError(`${path} is ${info.size} bytes, more than the ${MAX_RUN_FILE_BYTES} bytes the report reads`, { source: path });
  }
  return readFile(path, 'utf8');
}

/**
 * Parses JSON Lines. An invalid last line was cut by an interrupted write, so it is dropped with
 * a warning. Any other invalid line raises InputError.
 */
export function parseJsonLines(text: string, path: string, warnings: string[]): unknown[] {
  const records: unknown[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index].trim();
    if (line === '') continue;
    try {
      records.push(JSON.parse(line));
    } catch (error) {
      const isUnfinishedLast = index === lines.length - 1;
      const where = `${path}:${index + 1}`;
      if (!isUnfinishedLast) {
        throw new InputError(`${where}: invalid JSON: ${(error as Error).message}`, { source: where, hint: 'remove or repair the line' });
      }
      const warning = `${where}: dropped the unfinished last line (${line.length} characters)`;
      log.warn(warning);
      warnings.push(warning);
    }
  }
  return records;
}
