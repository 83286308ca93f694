// Entry point of the kernel module: re-exports every kernel. Compiled by tools/build-wasm.js.

export { quantizeRows } from './quantize';
export { matmulQ8_0, matmulQ4_0, matmulQ4_K, matmulQ6_K } from './matmul-quant';
export { widenActivations, matmulQ4_KRows4 } from './matmul-q4k-rows4';
export { interleaveQ8_0Rows4, interleaveBlocksRows4, matmulQ8_0Rows4 } from './rows4';
export { matmulF32, matmulF16, matmulF16Rows4, matmulBF16 } from './matmul-float';
export { rmsNorm, rope, swiglu, add, sum } from './ops';
export { attention } from './attention';
export { getRows } from './dequant';
