// Selection of MBPP tasks by split name, id list or range, and a limit.

import { InputError } from '../util/errors.js';
import type { Task } from './mbpp.js';

/** Split ranges by task id (inclusive), as the upstream README and the Hugging Face loader define them. */
export const SPLITS = {
  prompt: [1, 10],
  test: [11, 510],
  validation: [511, 600],
  train: [601, 974],
} as const satisfies Record<string, readonly [number, number]>;

export type SplitName = keyof typeof SPLITS;

export interface Selection {
  /** A split name, or `all`. */
  split?: SplitName | 'all';
  /** Ids and ranges such as `11,12,15` or `11-20,25`. */
  ids?: string;
  /** Keep at most this many tasks, in dataset order, after the other filters. */
  limit?: number;
}

/** Returns the split a task id belongs to, or undefined for ids past 974. */
export function splitOf(taskId: number): SplitName | undefined {
  for (const [name, [first, last]] of Object.entries(SPLITS)) {
    if (taskId >= first && taskId <= last) return name as SplitName;
  }
  return undefined;
}

/** Parses `11,12,15`, `11-20` or a mix of both into a set of task ids. */
export function parseIdList(spec: string): Set<number> {
  const ids = new Set<number>();
  for (const part of spec.split(',').map((item) => item.trim())) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (match === null) {
      throw new InputError(`invalid task id list '${spec}': '${part}' is neither an id nor a range like 11-20`, {
        expected: 'ids and ranges separated by commas, such as 11,12,15 or 11-20',
        found: part,
      });
    }
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last < first) {
      throw new InputError(`invalid task id range '${part}': the end is smaller than the start`, { found: part });
    }
    if (last - first > 100_000) throw new InputError(`task id range '${part}' is too wide (more than 100000 ids)`, { found: part });
    for (let id = first; id <= last; id++) ids.add(id);
  }
  return ids;
}

/** Applies a selection; unknown split names and ids missing from the dataset are rejected. */
export function selectTasks(tasks: Task[], selection: Selection): Task[] {
  let selected = tasks;
  const split = selection.split ?? 'all';
  if (split !== 'all') {
    const range = (SPLITS as Record<string, readonly [number, number]>)[split];
    if (range === undefined) {
      throw new InputError(`unknown split '${split}'`, { expected: `one of all, ${Object.keys(SPLITS).join(', ')}`, found: split });
    }
    selected = selected.filter((task) => task.taskId >= range[0] && task.taskId <= range[1]);
  }
  if (selection.ids !== undefined) {
    const ids = parseIdList(selection.ids);
    const present = new Set(selected.map((task) => task.taskId));
    const missing = [...ids].filter((id) => !present.has(id));
    if (missing.length > 0) {
      throw new InputError(`task ids not found in the dataset${split === 'all' ? '' : ` split ${split}`}: ${missing.slice(0, 10).join(', ')}`, {
        found: missing.join(','),
      });
    }
    selected = selected.filter((task) => ids.has(task.taskId));
  }
  if (selection.limit !== undefined) {
    if (!Number.isSafeInteger(selection.limit) || selection.limit < 0) {
      throw new InputError(`invalid limit ${selection.limit}: expected a non-negative integer`, { found: String(selection.limit) });
    }
    selected = selected.slice(0, selection.limit);
  }
  return selected;
}
