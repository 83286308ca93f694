// Dequantization of whole rows to f32, for embedding lookups. Type ids are ggml's.

import { dequantQ8_0Rows4 } from './rows4';
import { f16ToF32 } from './simd';

/** Type codes getRows takes for tables in the rows4 layout: ggml's type id plus 256. */
const ROWS4 = 256;
const ROWS4_Q8_0 = 8 + ROWS4;
const ROWS4_Q4_K = 12 + ROWS4;
const ROWS4_F16 = 1 + ROWS4;

/** Writes `cols` f32 values of the row at `src` (ggml type `type`) to `dst`. */
function dequantRow(type: i32, src: usize, dst: usize, cols: i32): void {
  if (type == 0) {
    memory.copy(dst, src, <usize>cols << 2);
  } else if (type == 1) {
    for (let c = 0; c < cols; c++) store<f32>(dst + (<usize>c << 2), f16ToF32(load<u16>(src + (<usize>c << 1))));
  } else if (type == 30) {
    for (let c = 0; c < cols; c++) store<u32>(dst + (<usize>c << 2), <u32>load<u16>(src + (<usize>c << 1)) << 16);
  } else if (type == 8) {
    for (let b = 0; b < cols >> 5; b++) {
      const block = src + <usize>b * 34;
      const d = f16ToF32(load<u16>(block));
      const out = dst + (<usize>b << 7);
      for (let j = 0; j < 32; j++) store<f32>(out + (<usize>j << 2), d * <f32>load<i8>(block + 2 + j));
    }
  } else if (type == 2) {
    for (let b = 0; b < cols >> 5; b++) {
      const block = src + <usize>b * 18;
      const d = f16ToF32(load<u16>(block));
      const out = dst + (<usize>b << 7);
      for (let j = 0; j < 16; j++) {
        const byte = <i32>load<u8>(block + 2 + j);
        store<f32>(out + (<usize>j << 2), d * <f32>((byte & 0x0f) - 8));
        store<f32>(out + (<usize>(j + 16) << 2), d * <f32>((byte >> 4) - 8));
      }
    }
  } else if (type == 12) {
    for (let sb = 0; sb < cols >> 8; sb++) {
      const block = src + <usize>sb * 144;
      const d = f16ToF32(load<u16>(block));
      const dmin = f16ToF32(load<u16>(block, 2));
      const out = dst + (<usize>sb << 10);
      for (let j = 0; j < 8; j++) {
        // Same 6-bit packing as in the matmul: sub-blocks 4..7 borrow the top bits of bytes j - 4 and j.
        const scale = j < 4 ? load<u8>(block + 4 + j) & 63 : (load<u8>(block + 8 + j) & 0x0f) | ((load<u8>(block + j) >> 6) << 4);
        const min = j < 4 ? load<u8>(block + 8 + j) & 63 : (load<u8>(block + 8 + j) >> 4) | ((load<u8>(block + 4 + j) >> 6) << 4);
        const quants = block + 16 + (<usize>(j >> 1) << 5);
        const shift = (j & 1) << 2;
        for (let l = 0; l < 32; l++) {
          const q = (<i32>load<u8>(quants + l) >> shift) & 0x0f;
          store<f32>(out + (<usize>(32 * j + l) << 2), d * <f32>scale * <f32>q - dmin * <f32>min);
        }
      }
    }
  } else if (type == 14) {
    for (let sb = 0; sb < cols >> 8; sb++) {
      const block = src + <usize>sb * 210;
      const d = f16ToF32(load<u16>(block, 208));
      for (let e = 0; e < 256; e++) {
        const half = e >> 7;
        const quarter = (e >> 5) & 3;
        const l = e & 31;
        const low = (<i32>load<u8>(block + (half << 6) + l + ((quarter & 1) << 5)) >> ((quarter >> 1) << 2)) & 0x0f;
        const high = (<i32>load<u8>(block + 128 + (half << 5) + l) >> (quarter << 1)) & 3;
        const scale = <i32>load<i8>(block + 192 + (e >> 4));
        store<f32>(dst + (<usize>((sb << 8) + e) << 2), d * <f32>scale * <f32>((low | (high << 4)) - 32));
      }
    }
  }
}

/**
 * Dequantizes row ids[i] (i32 at `ids`) of the table at `table` into y + i * cols, for i0 <= i < i1:
 * the embedding lookup. `type` is ggml's type id, plus ROWS4 for a table in the rows4 layout.
 */
export function getRows(y: usize, table: usize, rowBytes: i32, cols: i32, type: i32, ids: usize, i0: i32, i1: i32): void {
  for (let i = i0; i < i1; i++) {
    const id = load<i32>(ids + (<usize>i << 2));
    const dst = y + ((<usize>i * cols) << 2);
    const group = table + <usize>(id >> 2) * (<usize>rowBytes << 2);
    if (type == ROWS4_Q8_0) {
      dequantQ8_0Rows4(group, id & 3, cols >> 5, dst);
    } else if (type == ROWS4_F16) {
      // Runs of 8 values, 16 bytes per row, four rows side by side.
      for (let c = 0; c < cols >> 3; c++) dequantRow(1, group + (<usize>c << 6) + (<usize>(id & 3) << 4), dst + (<usize>c << 5), 8);
    } else if (type == ROWS4_Q4_K) {
      for (let s = 0; s < cols >> 8; s++) dequantRow(12, group + <usize>(4 * s + (id & 3)) * 144, dst + (<usize>s << 10), 256);
    } else {
      dequantRow(type, table + <usize>id * rowBytes, dst, cols);
    }
  }
}
