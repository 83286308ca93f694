// Parsers of option values shared by the commands: numbers, token lists, parseArgs errors, and
// the tool version that run folders record.

import { readFileSync } from 'node:fs';
import { MAX_THREADS } from '../kernels/wasm/protocol.js';
import { InputError } from '../util/errors.js';

/** The package version, for run folders and reports. */
export function readToolVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

/** Parses an optional whole-number option of at least `min`, or returns `fallback` when it is absent. */
export function optionalInteger(name: string, text: string | undefined, fallback: number, min: number): number {
  return text === undefined ? fallback : parseInteger(name, text, min);
}

/** Parses an optional number option, or returns `fallback` when it is absent. */
export function optionalNumber(name: string, text: string | undefined, fallback: number, min = -Infinity, max = Infinity): number {
  return text === undefined ? fallback : parseNumber(name, text, min, max);
}

/** Parses a whole number option of at least `min`. */
export function parseInteger(name: string, text: string, min: number): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < min) {
    throw new InputError(`invalid ${name} '${text}': expected a whole number >= ${min}`);
  }
  return value;
}

/** Parses a whole number option in [min, max]. */
export function parseIntegerInRange(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    throw new InputError(`invalid ${name} '${text}': expected a whole number from ${min} to ${max}`);
  }
  return value;
}

/** Parses --threads: a whole number from 1 to the most threads the kernel backend supports. */
export function parseThreads(text: string): number {
  return parseIntegerInRange('--threads', text, 1, MAX_THREADS);
}

/** Parses a finite number option, optionally within [min, max]. */
export function parseNumber(name: string, text: string, min = -Infinity, max = Infinity): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    const range = Number.isFinite(min) || Number.isFinite(max) ? ` in [${min}, ${max}]` : '';
    throw new InputError(`invalid ${name} '${text}': expected a number${range}`);
  }
  return value;
}

/** Parses comma-separated token ids, each below the vocabulary size. */
export function parseTokenList(name: string, text: string, vocabSize: number): number[] {
  const parts = text.split(',').map((part) => part.trim());
  if (parts.length === 0 || parts.some((part) => part === '')) {
    throw new InputError(`invalid ${name} '${text}': expected comma-separated token ids such as 1,2,3`);
  }
  return parts.map((part) => {
    const id = Number(part);
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new InputError(`invalid ${name}: token id '${part}' is not in 0..${vocabSize - 1} (the model's vocabulary)`);
    }
    return id;
  });
}

/** Runs node:util parseArgs, turning its errors (unknown option, missing value) into input errors. */
export function parseOptions<T>(usage: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      throw new InputError(`${(error as Error).message}\n\n${usage}`);
    }
    throw error;
  }
}
