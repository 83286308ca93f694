// Shared helpers of the model tests: scratch folders and error checks.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

import { ModelFileError } from '../../src/util/errors.js';

/** Creates a scratch folder that is removed when the test file finishes. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `nir-${prefix}-`));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Asserts that `action` raises a ModelFileError whose message contains every fragment. */
export function assertModelFileError(action: () => unknown, fragments: readonly string[]): ModelFileError {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ModelFileError, `expected a ModelFileError, got ${caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught)}`);
  for (const fragment of fragments) assert.ok(caught.message.includes(fragment), `message '${caught.message}' lacks '${fragment}'`);
  return caught;
}

/** Async form of assertModelFileError. */
export async function assertModelFileErrorAsync(action: () => Promise<unknown>, fragments: readonly string[]): Promise<ModelFileError> {
  let caught: unknown;
  try {
    await action();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ModelFileError, `expected a ModelFileError, got ${caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught)}`);
  for (const fragment of fragments) assert.ok(caught.message.includes(fragment), `message '${caught.message}' lacks '${fragment}'`);
  return caught;
}
