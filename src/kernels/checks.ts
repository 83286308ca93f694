// Argument checks shared by every backend, so that a wrong width or a corrupt tensor record
// fails with a message naming the value instead of reading past a buffer.

import { GGML_TYPE_LAYOUT, GgmlType, type WeightTensor } from '../model/types.js';
import { InputError } from '../util/errors.js';
import type { Arena } from './arena.js';
import type { Buf } from './backend.js';

/** Throws unless `count` is a non-negative integer. */
export function checkCount(what: string, count: number): void {
  if (!Number.isInteger(count) || count < 0) throw new InputError(`${what} must be a non-negative integer, found ${count}`);
}

/** Throws unless `buf` contains at least `need` f32 values and lies inside its shard. */
export function checkBuf(arena: Arena, what: string, buf: Buf, need: number): void {
  if (buf.length < need) {
    throw new InputError(`buffer ${what} has ${buf.length} values but the operation needs ${need}: allocate a larger buffer`, { expected: `>= ${need}`, found: `${buf.length}` });
  }
  const memory = arena.memories[buf.shard];
  if (memory === undefined) throw new InputError(`buffer ${what} names shard ${buf.shard} but the arena has ${arena.memories.length}`);
  if (buf.offset < 0 || buf.offset % 4 !== 0 || buf.offset + 4 * buf.length > memory.buffer.byteLength) {
    throw new InputError(`buffer ${what} at byte ${buf.offset} with ${buf.length} values does not lie inside shard ${buf.shard} (${memory.buffer.byteLength} bytes) or is not 4-byte aligned`);
  }
}

/** Throws unless `w` has a supported type, whole blocks per row, the byte size its shape implies, and lies inside its shard. */
export function checkWeight(arena: Arena, w: WeightTensor): void {
  const layout = GGML_TYPE_LAYOUT[w.type];
  if (layout === undefined) {
    throw new InputError(`tensor ${w.name} has unsupported type id ${w.type}: supported are F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K`);
  }
  if (!Number.isInteger(w.rows) || !Number.isInteger(w.cols) || w.rows < 1 || w.cols < 1 || w.cols % layout.blockSize !== 0) {
    throw new InputError(`tensor ${w.name} of type ${layout.name} has shape [${w.rows}, ${w.cols}]: expected positive sizes with cols a multiple of ${layout.blockSize}`);
  }
  const expectBytes = w.rows * (w.cols / layout.blockSize) * layout.blockBytes;
  if (w.nbytes !== expectBytes) {
    throw new InputError(`tensor ${w.name} declares ${w.nbytes} bytes but ${layout.name} [${w.rows}, ${w.cols}] takes ${expectBytes}`);
  }
  const memory = arena.memories[w.shard];
  if (memory === undefined || w.offset < 0 || w.offset + w.nbytes > memory.buffer.byteLength) {
    throw new InputError(`tensor ${w.name} at shard ${w.shard}, byte ${w.offset}, ${w.nbytes} bytes lies outside the arena`);
  }
}

/** Throws unless `w` is an F32 vector of exactly `d` values (a norm weight or a bias). */
export function checkF32Vector(arena: Arena, w: WeightTensor, d: number): void {
  checkWeight(arena, w);
  if (w.type !== GgmlType.F32 || w.rows * w.cols !== d) {
    throw new InputError(`tensor ${w.name} must be F32 with ${d} values, found ${GGML_TYPE_LAYOUT[w.type].name} [${w.rows}, ${w.cols}]`);
  }
}

/** Throws unless the attention shape is consistent: nh a multiple of nkv, hd even. */
export function checkHeads(nh: number, nkv: number, hd: number): void {
  checkCount('nh', nh);
  checkCount('nkv', nkv);
  checkCount('hd', hd);
  if (nh === 0 || nkv === 0 || nh % nkv !== 0) throw new InputError(`query heads (${nh}) must be a positive multiple of key/value heads (${nkv})`);
  if (hd === 0 || hd % 2 !== 0) throw new InputError(`head size must be positive and even, found ${hd}`);
}

/** Checks the arguments of Backend.attention: counts, head shape and every buffer's size. */
export function checkAttention(arena: Arena, out: Buf, q: Buf, keys: Buf, values: Buf, n: number, start: number, nh: number, nkv: number, hd: number): void {
  checkCount('n', n);
  checkCount('start', start);
  checkHeads(nh, nkv, hd);
  const kvWidth = nkv * hd;
  checkBuf(arena, 'q', q, n * nh * hd);
  checkBuf(arena, 'out', out, n * nh * hd);
  checkBuf(arena, 'keys', keys, (start + n) * kvWidth);
  checkBuf(arena, 'values', values, (start + n) * kvWidth);
}
