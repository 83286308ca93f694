// The tokenizer interface of the engine and its loader for GGUF metadata and Hugging Face files.
import { type ChatMessage, type ChatTemplateOptions } from './chat-template.js';
import { createGgufTokenizer } from './gguf-tokenizer.js';
import { createHfTokenizer } from './hf-tokenizer.js';

export type { ChatMessage, ChatTemplateOptions } from './chat-template.js';

/**
 * Source of a model's tokenizer: the metadata of its GGUF file (key -> value), or the paths
 * of a Hugging Face folder's tokenizer files. Same shape as LoadedModel['tokenizerFiles'].
 */
export type TokenizerFiles =
  | { readonly kind: 'gguf'; readonly metadata: Map<string, unknown>; readonly path?: string }
  | { readonly kind: 'hf'; readonly tokenizerJson: string; readonly tokenizerConfig?: string; readonly generationConfig?: string };

export interface EncodeOptions {
  /** Add the tokens the model expects around a text (BOS when `addBos`). Default false. */
  readonly addSpecial?: boolean;
  /** Turn special-token texts such as "<|im_end|>" into their ids. Default false. */
  readonly parseSpecial?: boolean;
}

export interface DecodeOptions {
  /** Leave out control tokens such as BOS, EOS and end-of-turn. Default false. */
  readonly skipSpecial?: boolean;
}

export interface Tokenizer {
  encode(text: string, options?: EncodeOptions): number[];
  decode(ids: readonly number[], options?: DecodeOptions): string;
  /** Decodes one token. A token that contains only part of a UTF-8 character decodes to U+FFFD. */
  decodeToken(id: number): string;
  readonly vocabSize: number;
  readonly bosId: number | null;
  readonly eosId: number | null;
  /** End-of-turn ids such as <|eot_id|>, <|im_end|> and <|end|>, ascending. */
  readonly eotIds: readonly number[];
  /** EOS and end-of-turn ids without duplicates: generation stops on any of them. */
  readonly stopIds: readonly number[];
  /** The model expects BOS in front of a prompt. */
  readonly addBos: boolean;
  readonly chatTemplate: string | null;
  /** Renders a conversation with the chat template; raises InputError when the model has none. */
  applyChatTemplate(messages: readonly ChatMessage[], options: ChatTemplateOptions): string;
}

/** Builds the tokenizer of a model from its tokenizer files. */
export async function loadTokenizer(files: TokenizerFiles): Promise<Tokenizer> {
  if (files.kind === 'gguf') return createGgufTokenizer(files.metadata, files.path ?? 'GGUF metadata');
  return createHfTokenizer(files);
}
