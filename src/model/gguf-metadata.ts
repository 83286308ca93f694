// Typed getters for GGUF metadata that raise a ModelFileError naming the key and the type found.

import { ModelFileError } from '../util/errors.js';
import { GgufValueType, type GgufArray, type GgufMetadata, type GgufScalar } from './gguf-types.js';

function describe(value: GgufScalar | GgufArray | undefined): string {
  if (value === undefined) return 'no such key';
  if (typeof value === 'object') return `an array of ${value.items.length} ${GgufValueType[value.itemType]}`;
  return `${typeof value} ${JSON.stringify(typeof value === 'bigint' ? value.toString() : value)}`;
}

/** Returns the number stored under `key`, or undefined when absent; 64-bit integers must be exact. */
export function optionalNumber(metadata: GgufMetadata, key: string, file: string): number | undefined {
  const entry = metadata.get(key);
  if (entry === undefined) return undefined;
  const value = entry.value;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint' && value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= -BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
  throw new ModelFileError(file, `metadata '${key}' to be a number`, describe(value));
}

export function requireNumber(metadata: GgufMetadata, key: string, file: string): number {
  const value = optionalNumber(metadata, key, file);
  if (value === undefined) throw new ModelFileError(file, `metadata key '${key}'`, 'no such key', 'the file lacks a required hyperparameter');
  return value;
}

export function optionalString(metadata: GgufMetadata, key: string, file: string): string | undefined {
  const entry = metadata.get(key);
  if (entry === undefined) return undefined;
  if (typeof entry.value !== 'string') throw new ModelFileError(file, `metadata '${key}' to be a string`, describe(entry.value));
  return entry.value;
}

export function requireString(metadata: GgufMetadata, key: string, file: string): string {
  const value = optionalString(metadata, key, file);
  if (value === undefined) throw new ModelFileError(file, `metadata key '${key}'`, 'no such key');
  return value;
}

export function optionalBoolean(metadata: GgufMetadata, key: string, file: string): boolean | undefined {
  const entry = metadata.get(key);
  if (entry === undefined) return undefined;
  if (typeof entry.value !== 'boolean') throw new ModelFileError(file, `metadata '${key}' to be a boolean`, describe(entry.value));
  return entry.value;
}

/** Returns the array stored under `key`, or undefined when absent. */
export function optionalArray(metadata: GgufMetadata, key: string, file: string): GgufArray | undefined {
  const entry = metadata.get(key);
  if (entry === undefined) return undefined;
  if (entry.type !== GgufValueType.ARRAY) throw new ModelFileError(file, `metadata '${key}' to be an array`, describe(entry.value));
  return entry.value;
}
