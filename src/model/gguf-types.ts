// GGUF metadata value types and the in-memory form of a GGUF file's header.

import type { GgmlType } from './types.js';

/** GGUF metadata value type ids. */
export enum GgufValueType {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
}

/** Bytes of one fixed-size value; STRING and ARRAY have no fixed size. */
export const GGUF_SCALAR_BYTES: Readonly<Partial<Record<GgufValueType, number>>> = {
  [GgufValueType.UINT8]: 1,
  [GgufValueType.INT8]: 1,
  [GgufValueType.BOOL]: 1,
  [GgufValueType.UINT16]: 2,
  [GgufValueType.INT16]: 2,
  [GgufValueType.UINT32]: 4,
  [GgufValueType.INT32]: 4,
  [GgufValueType.FLOAT32]: 4,
  [GgufValueType.UINT64]: 8,
  [GgufValueType.INT64]: 8,
  [GgufValueType.FLOAT64]: 8,
};

/** UINT64 and INT64 values are bigints so that no value loses precision; all other numbers are numbers. */
export type GgufScalar = number | bigint | boolean | string;

/** An array value: `items` all have type `itemType`, and nested arrays are GgufArray themselves. */
export interface GgufArray {
  readonly itemType: GgufValueType;
  readonly items: readonly GgufScalar[] | readonly GgufArray[];
}

/** One metadata value with its GGUF type, so that a round trip keeps the type. */
export type GgufEntry =
  | { readonly type: Exclude<GgufValueType, GgufValueType.ARRAY>; readonly value: GgufScalar }
  | { readonly type: GgufValueType.ARRAY; readonly value: GgufArray };

export type GgufMetadata = Map<string, GgufEntry>;

/** One tensor's header record. `dims` is in ggml order: dims[0] (ne0) is the contiguous dimension. */
export interface GgufTensorInfo {
  readonly name: string;
  readonly dims: readonly number[];
  readonly type: GgmlType;
  /** Byte offset from the start of the data section, as stored. */
  readonly relativeOffset: number;
  /** Byte offset from the start of the file. */
  readonly fileOffset: number;
  readonly nbytes: number;
}

export interface GgufHeader {
  readonly path: string;
  readonly version: number;
  readonly metadata: GgufMetadata;
  readonly tensors: readonly GgufTensorInfo[];
  readonly alignment: number;
  /** File offset of the data section (the end of the header, padded to `alignment`). */
  readonly dataOffset: number;
  readonly fileSize: number;
}

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** Shorthands that build typed metadata entries. */
export const gguf = {
  u8: (value: number): GgufEntry => ({ type: GgufValueType.UINT8, value }),
  i8: (value: number): GgufEntry => ({ type: GgufValueType.INT8, value }),
  u16: (value: number): GgufEntry => ({ type: GgufValueType.UINT16, value }),
  i16: (value: number): GgufEntry => ({ type: GgufValueType.INT16, value }),
  u32: (value: number): GgufEntry => ({ type: GgufValueType.UINT32, value }),
  i32: (value: number): GgufEntry => ({ type: GgufValueType.INT32, value }),
  f32: (value: number): GgufEntry => ({ type: GgufValueType.FLOAT32, value }),
  f64: (value: number): GgufEntry => ({ type: GgufValueType.FLOAT64, value }),
  u64: (value: bigint): GgufEntry => ({ type: GgufValueType.UINT64, value }),
  i64: (value: bigint): GgufEntry => ({ type: GgufValueType.INT64, value }),
  bool: (value: boolean): GgufEntry => ({ type: GgufValueType.BOOL, value }),
  str: (value: string): GgufEntry => ({ type: GgufValueType.STRING, value }),
  array: (itemType: GgufValueType, items: readonly GgufScalar[] | readonly GgufArray[]): GgufEntry => ({
    type: GgufValueType.ARRAY,
    value: { itemType, items },
  }),
};
