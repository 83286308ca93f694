// Completions to score: a JSON Lines file of {task_id, completion, variant?, sample?}.

import { readFileSync, statSync } from 'node:fs';
import { InputError } from '../util/errors.js';

export interface Completion {
  task_id: number;
  completion: string;
  /** Default "default". */
  variant: string;
  /** Default 0. */
  sample: number;
}

/** Largest completions file read. */
export const MAX_COMPLETIONS_BYTES = 1024 * 1024 * 1024;

/** Reads and checks a completions file; errors name the line and the field. */
export function readCompletions(path: string): Completion[] {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (error) {
    throw new InputError(`completions file ${path} cannot be read: ${(error as Error).message}`, { source: path });
  }
  if (size > MAX_COMPLETIONS_BYTES) {
    throw new InputError(`completions file ${path} is ${size} bytes, more than the limit of ${MAX_COMPLETIONS_BYTES}`, { source: path });
  }
  const completions: Completion[] = [];
  const seen = new Map<string, number>();
  const lines = readFileSync(path, 'utf8').split('\n');
  for (let index = 0; index < lines.length; index++) {
    if (lines[index].trim() === '') continue;
    const where = `${path}:${index + 1}`;
    const completion = parseCompletion(lines[index], where);
    const key = `${completion.task_id}\u0000${completion.variant}\u0000${completion.sample}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      throw new InputError(
        `${where}: task_id ${completion.task_id}, variant ${JSON.stringify(completion.variant)}, sample ${completion.sample} already appeared on line ${earlier}`,
        { source: where, hint: 'give each completion of a task its own sample number' },
      );
    }
    seen.set(key, index + 1);
    completions.push(completion);
  }
  if (completions.length === 0) throw new InputError(`completions file ${path} contains no records`, { source: path });
  return completions;
}

function parseCompletion(line: string, where: string): Completion {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch (error) {
    throw new InputError(`${where}: invalid JSON: ${(error as Error).message}`, { source: where });
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw new InputError(`${where}: expected a JSON object with task_id and completion`, { source: where });
  }
  const fields = record as Record<string, unknown>;
  const fail = (field: string, expected: string) =>
    new InputError(`${where}: field ${field}: expected ${expected}, found ${JSON.stringify(fields[field]) ?? 'nothing (missing)'}`, {
      source: where,
      expected,
      found: String(fields[field]),
    });
  const taskId = fields.task_id;
  if (typeof taskId !== 'number' || !Number.isSafeInteger(taskId) || taskId < 1) throw fail('task_id', 'a positive integer');
  if (typeof fields.completion !== 'string') throw fail('completion', 'a string');
  const variant = fields.variant ?? 'default';
  if (typeof variant !== 'string' || variant === '') throw fail('variant', 'a non-empty string');
  const sample = fields.sample ?? 0;
  if (typeof sample !== 'number' || !Number.isSafeInteger(sample) || sample < 0) throw fail('sample', 'a non-negative integer');
  return { task_id: taskId, completion: fields.completion, variant, sample };
}
