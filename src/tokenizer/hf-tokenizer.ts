// Tokenizer over a Hugging Face tokenizer.json through @huggingface/tokenizers, with special
// tokens from tokenizer_config.json and generation_config.json.
import { readFileSync, statSync } from 'node:fs';
import { Tokenizer as HfTokenizerImpl } from '@huggingface/tokenizers';
import { InputError, ModelFileError } from '../util/errors.js';
import { byteLevelDecode } from './byte-level.js';
import { ChatTemplate, missingChatTemplateError, type ChatMessage, type ChatTemplateOptions } from './chat-template.js';
import { END_OF_GENERATION_TEXTS } from './gguf-vocab.js';
import { mergeStopIds } from './special-tokens.js';
import type { DecodeOptions, EncodeOptions, Tokenizer, TokenizerFiles } from './tokenizer.js';

const utf8Decoder = new TextDecoder('utf-8');

/** Maximum size in bytes of a tokenizer file that is read into memory. */
const MAX_TOKENIZER_FILE_BYTES = 256 * 1024 * 1024;

interface AddedTokenJson {
  id: number;
  content: string;
  special?: boolean;
}

interface TokenizerJson {
  model: { type?: string };
  added_tokens?: AddedTokenJson[];
  [key: string]: unknown;
}

type JsonObject = Record<string, unknown>;

function readJsonObject(path: string): JsonObject {
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > MAX_TOKENIZER_FILE_BYTES) {
      throw new ModelFileError(path, `at most ${MAX_TOKENIZER_FILE_BYTES} bytes`, `${size} bytes`);
    }
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof ModelFileError) throw error;
    throw new ModelFileError(path, 'a readable file', (error as NodeJS.ErrnoException).code ?? String(error));
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ModelFileError(path, 'valid JSON', (error as Error).message);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ModelFileError(path, 'a JSON object', Array.isArray(value) ? 'an array' : String(value));
  }
  return value as JsonObject;
}

/** Returns the text of a special-token entry in tokenizer_config.json, which is a string or { content }. */
function tokenText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && typeof (value as JsonObject).content === 'string') {
    return (value as JsonObject).content as string;
  }
  return null;
}

/** Returns the default chat template of tokenizer_config.json, which stores a string or a list of named templates. */
function chatTemplateText(config: JsonObject, path: string): string | null {
  const value = config.chat_template;
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const named = value.find((entry) => entry && typeof entry === 'object' && entry.name === 'default') ?? value[0];
    if (named && typeof named.template === 'string') return named.template;
  }
  throw new ModelFileError(path, 'chat_template as a string or a list of { name, template }', typeof value);
}

function idList(value: unknown): number[] {
  const list = Array.isArray(value) ? value : [value];
  return list.filter((id): id is number => Number.isInteger(id) && id >= 0);
}

/** Finds the ids that the post-processor adds before and after a text by encoding a probe both ways. */
function postProcessorIds(impl: HfTokenizerImpl, source: string): { prefix: number[]; suffix: number[] } {
  const probe = 'a';
  const plain = impl.encode(probe, { add_special_tokens: false }).ids;
  const full = impl.encode(probe, { add_special_tokens: true }).ids;
  for (let start = 0; start + plain.length <= full.length; start++) {
    if (plain.every((id: number, i: number) => full[start + i] === id)) {
      return { prefix: full.slice(0, start), suffix: full.slice(start + plain.length) };
    }
  }
  throw new ModelFileError(source, 'a post-processor that keeps the text tokens in order', `${JSON.stringify(full)} around ${JSON.stringify(plain)}`);
}

class HfTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bosId: number | null;
  readonly eosId: number | null;
  readonly eotIds: readonly number[];
  readonly stopIds: readonly number[];
  readonly addBos: boolean;
  readonly chatTemplate: string | null;
  private parsedTemplate: ChatTemplate | null = null;

  constructor(
    private readonly source: string,
    private readonly withSpecial: HfTokenizerImpl,
    /** Same vocabulary without the special added tokens, so their texts encode as plain text. */
    private readonly withoutSpecial: HfTokenizerImpl,
    fields: { bosId: number | null; eosId: number | null; eotIds: number[]; addBos: boolean; chatTemplate: string | null; vocabSize: number },
    private readonly bosText: string,
    private readonly eosText: string,
    /** Ids the post-processor puts around a text, applied by hand because the tokenizer without special tokens cannot. */
    private readonly specialAround: { prefix: number[]; suffix: number[] },
    private readonly addedTokenIds: ReadonlySet<number>,
    /** The decoder maps byte-level characters back to bytes (GPT-2 style vocabularies). */
    private readonly byteLevel: boolean,
  ) {
    this.vocabSize = fields.vocabSize;
    this.bosId = fields.bosId;
    this.eosId = fields.eosId;
    this.eotIds = fields.eotIds;
    this.stopIds = mergeStopIds(fields.eosId, fields.eotIds);
    this.addBos = fields.addBos;
    this.chatTemplate = fields.chatTemplate;
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    if (typeof text !== 'string') throw new InputError(`encode expects a string, found ${typeof text}`);
    const impl = options.parseSpecial ? this.withSpecial : this.withoutSpecial;
    const ids = text === '' ? [] : impl.encode(text, { add_special_tokens: false }).ids;
    if (!options.addSpecial) return ids;
    return [...this.specialAround.prefix, ...ids, ...this.specialAround.suffix];
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    if (ids.length === 0) return '';
    for (const id of ids) this.checkId(id);
    // Cleaning up spaces before punctuation would change source code, so it stays off.
    return this.withSpecial.decode([...ids], { skip_special_tokens: options.skipSpecial ?? false, clean_up_tokenization_spaces: false });
  }

  private checkId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new InputError(`token id ${id} is outside the vocabulary of ${this.vocabSize} tokens`, {
        expected: `0..${this.vocabSize - 1}`,
        found: String(id),
      });
    }
  }

  /**
   * Decodes one token without the decoder's whole-sequence steps, so a SentencePiece token
   * keeps its leading space as in the GGUF path. Added tokens decode to their text, byte-level
   * tokens to their bytes and "<0xNN>" to one byte. Otherwise "▁" becomes a space.
   */
  decodeToken(id: number): string {
    this.checkId(id);
    const token = this.withSpecial.id_to_token(id) ?? '';
    if (this.addedTokenIds.has(id)) return token;
    if (this.byteLevel) {
      const bytes = byteLevelDecode(token);
      if (bytes !== null) return utf8Decoder.decode(bytes);
    }
    const byteToken = /^<0x([0-9A-Fa-f]{2})>$/.exec(token);
    if (byteToken !== null) return utf8Decoder.decode(Uint8Array.of(Number.parseInt(byteToken[1], 16)));
    return token.replaceAll('\u2581', ' ');
  }

  applyChatTemplate(messages: readonly ChatMessage[], options: ChatTemplateOptions): string {
    if (this.chatTemplate === null) throw missingChatTemplateError(this.source);
    this.parsedTemplate ??= new ChatTemplate(this.source, { bosToken: this.bosText, eosToken: this.eosText }, this.chatTemplate);
    return this.parsedTemplate.render(messages, options);
  }
}

/** Builds a tokenizer from a Hugging Face folder's tokenizer files. */
export function createHfTokenizer(files: Extract<TokenizerFiles, { kind: 'hf' }>): Tokenizer {
  const json = readJsonObject(files.tokenizerJson) as TokenizerJson;
  if (json.model === null || typeof json.model !== 'object') {
    throw new ModelFileError(files.tokenizerJson, 'a "model" object', typeof json.model);
  }
  const addedTokens = Array.isArray(json.added_tokens) ? json.added_tokens : [];
  const config = files.tokenizerConfig ? readJsonObject(files.tokenizerConfig) : {};
  const generation = files.generationConfig ? readJsonObject(files.generationConfig) : {};

  let withSpecial: HfTokenizerImpl;
  let withoutSpecial: HfTokenizerImpl;
  try {
    withSpecial = new HfTokenizerImpl(json, config);
    const plainJson = { ...json, added_tokens: addedTokens.filter((token) => !token.special) };
    withoutSpecial = new HfTokenizerImpl(plainJson, config);
  } catch (error) {
    throw new ModelFileError(files.tokenizerJson, 'a tokenizer that @huggingface/tokenizers supports', (error as Error).message);
  }

  const vocab = withSpecial.get_vocab(true);
  let vocabSize = 0;
  for (const id of vocab.values()) vocabSize = Math.max(vocabSize, id + 1);
  const idOf = (text: string | null) => (text === null ? null : vocab.get(text) ?? null);

  const bosText = tokenText(config.bos_token);
  const eosText = tokenText(config.eos_token);
  const generationEos = idList(generation.eos_token_id);
  const bosId = idOf(bosText) ?? idList(generation.bos_token_id)[0] ?? null;
  const eosId = idOf(eosText) ?? generationEos[0] ?? null;

  // Every end-of-generation id of generation_config.json stops generation, and so does every
  // added token with an end-of-turn text, as in the GGUF path.
  const eotIds = new Set<number>(generationEos.filter((id) => id !== eosId));
  for (const token of addedTokens) {
    if (END_OF_GENERATION_TEXTS.has(token.content)) eotIds.add(token.id);
  }

  const specialAround = postProcessorIds(withSpecial, files.tokenizerJson);
  // add_bos_token is explicit in older configs; otherwise the post-processor decides.
  const addBos = typeof config.add_bos_token === 'boolean' ? config.add_bos_token : bosId !== null && specialAround.prefix[0] === bosId;

  return new HfTokenizer(
    files.tokenizerJson,
    withSpecial,
    withoutSpecial,
    {
      bosId,
      eosId,
      eotIds: [...eotIds].sort((a, b) => a - b),
      addBos,
      chatTemplate: chatTemplateText(config, files.tokenizerConfig ?? files.tokenizerJson),
      vocabSize,
    },
    bosText ?? (bosId !== null ? withSpecial.id_to_token(bosId) ?? '' : ''),
    eosText ?? (eosId !== null ? withSpecial.id_to_token(eosId) ?? '' : ''),
    specialAround,
    new Set(addedTokens.map((token) => token.id)),
    JSON.stringify(json.decoder ?? null).includes('"ByteLevel"'),
  );
}
