// The model, its tokenizer and a decoder on a compute backend, opened once per run.

import { Decoder } from '../engine/forward.js';
import { openBackend } from '../engine/open-backend.js';
import type { Backend } from '../kernels/backend.js';
import { Arena } from '../kernels/arena.js';
import { loadModel, type LoadedModel } from '../model/load.js';
import { encodeChatPrompt } from '../tokenizer/prompt.js';
import { loadTokenizer, type Tokenizer } from '../tokenizer/tokenizer.js';

export interface ModelContext {
  readonly model: LoadedModel;
  readonly tokenizer: Tokenizer;
  readonly backend: Backend;
  readonly decoder: Decoder;
  readonly sha256: string;
  close(): Promise<void>;
}

export async function openModelContext(path: string, threads: number): Promise<ModelContext> {
  const arena = new Arena();
  const model = await loadModel(path, arena);
  const tokenizer = await loadTokenizer(model.tokenizerFiles);
  const sha256 = await model.hashFiles();
  const backend = await openBackend(arena, threads);
  const decoder = new Decoder(backend, model);
  return { model, tokenizer, backend, decoder, sha256, close: () => backend.close() };
}

/**
 * Token ids of a user message: through the chat template when `chat` is set and the model has
 * one, else the plain text with the model's special tokens (BOS). A model without a template is
 * reported once by the caller, which prints the effective settings.
 */
export function encodeUserPrompt(tokenizer: Tokenizer, text: string, chat: boolean): number[] {
  if (!chat || tokenizer.chatTemplate === null) return tokenizer.encode(text, { addSpecial: true });
  return encodeChatPrompt(tokenizer, text);
}
