// Picks the compute backend: the WebAssembly one, or the plain TypeScript reference when the
// kernel module is not built.

import type { Arena } from '../kernels/arena.js';
import type { Backend } from '../kernels/backend.js';
import { ReferenceBackend } from '../kernels/reference/backend.js';
import { createBackend } from '../kernels/wasm/backend.js';
import { InputError } from '../util/errors.js';
import { log } from '../util/log.js';

/**
 * Opens the wasm backend with `threads` threads on `arena`. When the kernel module cannot be
 * loaded, logs a warning and returns the reference backend, which is correct but far slower.
 */
export async function openBackend(arena: Arena, threads: number): Promise<Backend> {
  try {
    return await createBackend({ threads, arena });
  } catch (error) {
    if (error instanceof InputError) throw error;
    log.warn(`wasm backend unavailable (${(error as Error).message}); using the slow reference backend`);
    return new ReferenceBackend(arena);
  }
}
