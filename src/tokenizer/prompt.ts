// Prompt encoding shared by the commands: a user message through the chat template, or plain text.

import type { Tokenizer } from './tokenizer.js';

/**
 * Token ids of one user message rendered with the model's chat template and a generation prompt.
 * Templates usually write the BOS text themselves, so BOS is added only when they did not.
 * Raises InputError when the model has no chat template.
 */
export function encodeChatPrompt(tokenizer: Tokenizer, text: string): number[] {
  const rendered = tokenizer.applyChatTemplate([{ role: 'user', content: text }], { addGenerationPrompt: true });
  const ids = tokenizer.encode(rendered, { parseSpecial: true });
  if (tokenizer.addBos && tokenizer.bosId !== null && ids[0] !== tokenizer.bosId) ids.unshift(tokenizer.bosId);
  return ids;
}
