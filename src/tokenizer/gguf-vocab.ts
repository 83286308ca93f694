// Reads and validates the `tokenizer.ggml.*` metadata of a GGUF file into one immutable vocabulary.
import { ModelFileError } from '../util/errors.js';
import { log } from '../util/log.js';

/** Token types stored in `tokenizer.ggml.token_type` (llama.cpp's llama_token_type). */
export enum TokenType {
  Undefined = 0,
  Normal = 1,
  Unknown = 2,
  Control = 3,
  UserDefined = 4,
  Unused = 5,
  Byte = 6,
}

/** Largest vocabulary accepted; real ones stay below 300,000 tokens. */
export const MAX_VOCAB_SIZE = 1 << 22;

/** Texts that end a turn or the text in common chat formats; llama.cpp stops on them too. */
export const END_OF_GENERATION_TEXTS: ReadonlySet<string> = new Set([
  '<|eot_id|>', '<|im_end|>', '<|end|>', '<end_of_turn>', '<|endoftext|>', '<|end_of_text|>',
  '<|eom_id|>', '<EOT>', '_<EOT>', '<｜end▁of▁sentence｜>', '<end_of_utterance>',
]);

/**
 * Fill-in-the-middle markers. llama.cpp gives them the control type when a converter marked
 * them normal, which decides whether they are matched as special tokens.
 */
const FILL_IN_THE_MIDDLE_TEXTS: readonly string[] = [
  '<|fim_prefix|>', '<fim-prefix>', '<fim_prefix>', '<｜fim▁begin｜>', '<PRE>', '▁<PRE>',
  '<|fim_suffix|>', '<fim-suffix>', '<fim_suffix>', '<｜fim▁hole｜>', '<SUF>', '▁<SUF>',
  '<|fim_middle|>', '<fim-middle>', '<fim_middle>', '<｜fim▁end｜>', '<MID>', '▁<MID>',
  '<|fim_pad|>', '<fim-pad>', '<fim_pad>', '<PAD>', '<|fim_repo|>', '<|repo_name|>', '<fim-repo>',
  '<REPO>', '<reponame>', '<|file_sep|>',
];

export type VocabModel = 'gpt2' | 'llama';

export interface GgufVocab {
  readonly source: string;
  readonly model: VocabModel;
  /** `tokenizer.ggml.pre`, or 'default' when the key is missing (as llama.cpp does). */
  readonly pre: string;
  readonly tokens: readonly string[];
  readonly tokenToId: ReadonlyMap<string, number>;
  /** [V] scores; SentencePiece merges the pair whose result scores highest. */
  readonly scores: Float32Array;
  /** [V] token types after llama.cpp's corrections by token text. */
  readonly types: Uint8Array;
  /** Merge ("left right") -> rank, lower merges first; empty for SentencePiece. */
  readonly mergeRanks: ReadonlyMap<string, number>;
  readonly bosId: number | null;
  readonly eosId: number | null;
  readonly unknownId: number | null;
  /** End-of-turn and end-of-message ids, from their keys and by token text. */
  readonly endOfTurnIds: readonly number[];
  readonly addBos: boolean;
  readonly addEos: boolean;
  readonly addSpacePrefix: boolean;
  readonly chatTemplate: string | null;
}

type Metadata = Map<string, unknown>;

/**
 * Returns the plain value of a metadata entry. Accepts the typed form of the GGUF reader
 * ({ type, value } with arrays as { itemType, items }) and plain values alike.
 */
function plainValue(raw: unknown): unknown {
  let value = raw;
  if (value !== null && typeof value === 'object' && 'type' in value && 'value' in value && typeof value.type === 'number') {
    value = value.value;
  }
  if (value !== null && typeof value === 'object' && 'itemType' in value && 'items' in value) {
    value = value.items;
  }
  return value;
}

/** Wraps the metadata so every lookup returns a plain value. */
function plainMetadata(metadata: Metadata): Metadata {
  const out: Metadata = new Map();
  for (const key of metadata.keys()) {
    if (key.startsWith('tokenizer.')) out.set(key, plainValue(metadata.get(key)));
  }
  return out;
}

function optionalString(metadata: Metadata, key: string, source: string): string | undefined {
  const value = metadata.get(key);
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new ModelFileError(source, `a string in ${key}`, typeof value);
  return value;
}

function optionalBool(metadata: Metadata, key: string, source: string): boolean | undefined {
  const value = metadata.get(key);
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new ModelFileError(source, `a boolean in ${key}`, typeof value);
  return value;
}

function optionalId(metadata: Metadata, key: string, source: string): number | undefined {
  const value = metadata.get(key);
  if (value === undefined) return undefined;
  const id = typeof value === 'bigint' ? Number(value) : value;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
    throw new ModelFileError(source, `a non-negative integer token id in ${key}`, String(value));
  }
  return id;
}

function stringArray(value: unknown, key: string, source: string): string[] {
  if (!Array.isArray(value)) throw new ModelFileError(source, `an array of strings in ${key}`, typeof value);
  for (let i = 0; i < value.length; i++) {
    if (typeof value[i] !== 'string') {
      throw new ModelFileError(source, `an array of strings in ${key}`, `${typeof value[i]} at index ${i}`);
    }
  }
  return value as string[];
}

function numberArray(value: unknown, key: string, source: string, minLength: number): ArrayLike<number> {
  const isNumeric = ArrayBuffer.isView(value) || (Array.isArray(value) && value.every((x) => typeof x === 'number'));
  if (!isNumeric) throw new ModelFileError(source, `an array of numbers in ${key}`, typeof value);
  const array = value as ArrayLike<number>;
  if (array.length < minLength) {
    throw new ModelFileError(source, `at least ${minLength} entries in ${key} (one per token)`, `${array.length}`);
  }
  return array;
}

function vocabModel(metadata: Metadata, source: string): VocabModel {
  const model = optionalString(metadata, 'tokenizer.ggml.model', source);
  if (model === 'gpt2' || model === 'llama') return model;
  throw new ModelFileError(
    source,
    'tokenizer.ggml.model "gpt2" (byte-level BPE) or "llama" (SentencePiece)',
    model === undefined ? 'no tokenizer.ggml.model key' : `"${model}"`,
  );
}

function readTokens(metadata: Metadata, source: string): { tokens: string[]; tokenToId: Map<string, number> } {
  const raw = stringArray(metadata.get('tokenizer.ggml.tokens'), 'tokenizer.ggml.tokens', source);
  if (raw.length === 0 || raw.length > MAX_VOCAB_SIZE) {
    throw new ModelFileError(source, `1 to ${MAX_VOCAB_SIZE} tokens in tokenizer.ggml.tokens`, `${raw.length}`);
  }
  const tokens = new Array<string>(raw.length);
  const tokenToId = new Map<string, number>();
  for (let id = 0; id < raw.length; id++) {
    // llama.cpp renames empty tokens the same way, so ids stay aligned with it.
    const text = raw[id] === '' ? `[EMPTY_${id}]` : raw[id];
    if (tokenToId.has(text)) {
      throw new ModelFileError(source, 'unique token texts in tokenizer.ggml.tokens', `"${text}" at ids ${tokenToId.get(text)} and ${id}`);
    }
    tokens[id] = text;
    tokenToId.set(text, id);
  }
  return { tokens, tokenToId };
}

function readMergeRanks(metadata: Metadata, source: string): Map<string, number> {
  const value = metadata.get('tokenizer.ggml.merges');
  if (value === undefined) throw new ModelFileError(source, 'tokenizer.ggml.merges for a gpt2 vocabulary', 'no merges key');
  const merges = stringArray(value, 'tokenizer.ggml.merges', source);
  const ranks = new Map<string, number>();
  for (let rank = 0; rank < merges.length; rank++) {
    // The first occurrence wins, as in llama.cpp.
    if (!ranks.has(merges[rank])) ranks.set(merges[rank], rank);
  }
  return ranks;
}

/**
 * Applies llama.cpp's corrections by token text: end-of-generation and fill-in-the-middle
 * markers become control tokens, and gpt-oss channel markers become user-defined.
 */
function correctTypes(types: Uint8Array, tokenToId: ReadonlyMap<string, number>): void {
  for (const text of [...END_OF_GENERATION_TEXTS, ...FILL_IN_THE_MIDDLE_TEXTS]) {
    const id = tokenToId.get(text);
    if (id !== undefined) types[id] = TokenType.Control;
  }
  for (const text of ['<|channel|>', '<|message|>', '<|start|>', '<|constrain|>']) {
    const id = tokenToId.get(text);
    if (id !== undefined) types[id] = TokenType.UserDefined;
  }
}

function specialId(metadata: Metadata, key: string, fallback: number | null, vocabSize: number, source: string): number | null {
  const id = optionalId(metadata, key, source);
  if (id === undefined) return fallback !== null && fallback < vocabSize ? fallback : null;
  if (id >= vocabSize) {
    log.warn(`${source}: ${key} = ${id} is outside the vocabulary of ${vocabSize} tokens; using ${fallback ?? 'none'}`);
    return fallback !== null && fallback < vocabSize ? fallback : null;
  }
  return id;
}

function endOfTurnIds(metadata: Metadata, tokenToId: ReadonlyMap<string, number>, vocabSize: number, source: string): number[] {
  const ids = new Set<number>();
  const eot = specialId(metadata, 'tokenizer.ggml.eot_token_id', null, vocabSize, source);
  const eom = specialId(metadata, 'tokenizer.ggml.eom_token_id', null, vocabSize, source);
  if (eot !== null) ids.add(eot);
  if (eom !== null) ids.add(eom);
  // llama.cpp ends generation on every token with one of these texts, not only on the keyed ids.
  for (const text of END_OF_GENERATION_TEXTS) {
    const id = tokenToId.get(text);
    if (id !== undefined) ids.add(id);
  }
  return [...ids].sort((a, b) => a - b);
}

/** Reads the vocabulary of a GGUF file from its metadata; `source` names the file in errors. */
export function readGgufVocab(rawMetadata: Metadata, source: string): GgufVocab {
  const metadata = plainMetadata(rawMetadata);
  const model = vocabModel(metadata, source);
  const { tokens, tokenToId } = readTokens(metadata, source);
  const vocabSize = tokens.length;

  const scoresValue = metadata.get('tokenizer.ggml.scores');
  const scores = new Float32Array(vocabSize);
  if (scoresValue !== undefined) scores.set(Array.from(numberArray(scoresValue, 'tokenizer.ggml.scores', source, vocabSize)).slice(0, vocabSize));

  const typesValue = metadata.get('tokenizer.ggml.token_type');
  const types = new Uint8Array(vocabSize).fill(TokenType.Normal);
  if (typesValue !== undefined) {
    const raw = numberArray(typesValue, 'tokenizer.ggml.token_type', source, vocabSize);
    for (let id = 0; id < vocabSize; id++) {
      const type = raw[id];
      types[id] = Number.isInteger(type) && type >= 0 && type <= TokenType.Byte ? type : TokenType.Undefined;
    }
  }
  correctTypes(types, tokenToId);

  let pre = optionalString(metadata, 'tokenizer.ggml.pre', source);
  if (model === 'gpt2' && pre === undefined) {
    log.warn(`${source}: no tokenizer.ggml.pre key; using the "default" pre-tokenizer, as llama.cpp does`);
    pre = 'default';
  }

  // Defaults follow llama.cpp: SentencePiece has bos 1, eos 2, unk 0; byte-level BPE has no
  // usable default (llama.cpp's 11 is a GPT-2 leftover), so bos and eos stay null without keys.
  const isSpm = model === 'llama';
  const bosId = specialId(metadata, 'tokenizer.ggml.bos_token_id', isSpm ? 1 : null, vocabSize, source);
  const eosId = specialId(metadata, 'tokenizer.ggml.eos_token_id', isSpm ? 2 : null, vocabSize, source);
  const unknownId = specialId(metadata, 'tokenizer.ggml.unknown_token_id', isSpm ? 0 : null, vocabSize, source);
  const llama3Family = pre === 'llama3' || pre === 'llama-v3' || pre === 'llama-bpe';
  const addBos = optionalBool(metadata, 'tokenizer.ggml.add_bos_token', source) ?? (isSpm || llama3Family);
  const addEos = optionalBool(metadata, 'tokenizer.ggml.add_eos_token', source) ?? false;
  if (addBos && bosId === null) {
    throw new ModelFileError(source, 'tokenizer.ggml.bos_token_id because add_bos_token is true', 'no valid bos id');
  }
  if (addEos && eosId === null) {
    throw new ModelFileError(source, 'tokenizer.ggml.eos_token_id because add_eos_token is true', 'no valid eos id');
  }

  return {
    source,
    model,
    pre: pre ?? 'default',
    tokens,
    tokenToId,
    scores,
    types,
    mergeRanks: model === 'gpt2' ? readMergeRanks(metadata, source) : new Map(),
    bosId,
    eosId,
    unknownId,
    endOfTurnIds: endOfTurnIds(metadata, tokenToId, vocabSize, source),
    addBos,
    addEos,
    addSpacePrefix: optionalBool(metadata, 'tokenizer.ggml.add_space_prefix', source) ?? isSpm,
    chatTemplate: optionalString(metadata, 'tokenizer.chat_template', source) ?? null,
  };
}
