// Resolves a --model argument (GGUF file, Hugging Face folder or hf:org/name) to a local path,
// with a download progress bar on stderr.

import { createProgressBar, resolveModelSpec } from '../hub/index.js';

export function resolveModelArgument(spec: string): Promise<string> {
  return resolveModelSpec(spec, { onProgress: createProgressBar((text) => process.stderr.write(text), Boolean(process.stderr.isTTY)) });
}
