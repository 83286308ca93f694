// Test tokenizers: a byte-level BPE written as tokenizer.json + tokenizer_config.json and as GGUF
// metadata ("gpt2"), and a SentencePiece-style vocabulary with scores as GGUF metadata ("llama").

import { gguf, GgufValueType, type GgufEntry } from '../../src/model/gguf-types.js';
import { byteLevelWords, byteToUnicode, GPT2_SPLIT_PATTERN, learnMerges, sentencePieceWords } from './bpe-train.js';
import { SAMPLE_TEXT } from './sample-text.js';

export const SPECIAL_TOKENS = ['<|begin_of_text|>', '<|end_of_text|>', '<|im_start|>', '<|im_end|>'] as const;

/** ChatML-style template; the tokenizer adds the BOS token itself when add_bos_token is set. */
export const CHAT_TEMPLATE =
  "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}" +
  '{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}';

/** llama.cpp token types. */
const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, byte: 6 } as const;

export interface BpeVocabulary {
  readonly tokens: readonly string[];
  /** Merges as "left right", in priority order. */
  readonly merges: readonly string[];
  /** Ids from this one on are special (control) tokens. */
  readonly firstSpecialId: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly eotId: number;
  readonly addBos: boolean;
}

/** Builds a byte-level BPE vocabulary of exactly `vocabSize` tokens: bytes, merges, specials, then reserved fillers. */
export function buildBpeVocabulary(vocabSize: number, addBos: boolean): BpeVocabulary {
  const minimum = 256 + SPECIAL_TOKENS.length;
  if (vocabSize < minimum) throw new RangeError(`vocabulary size ${vocabSize} is below the minimum ${minimum} (256 bytes and ${SPECIAL_TOKENS.length} special tokens)`);
  const merges = learnMerges(byteLevelWords(SAMPLE_TEXT), vocabSize - minimum);
  const tokens = byteToUnicode();
  const seen = new Set(tokens);
  // Two merges can produce the same string; the token is listed once.
  for (const [a, b] of merges) {
    if (!seen.has(a + b)) tokens.push(a + b);
    seen.add(a + b);
  }
  const firstSpecialId = tokens.length;
  tokens.push(...SPECIAL_TOKENS);
  for (let i = 0; tokens.length < vocabSize; i++) tokens.push(`<|reserved_special_token_${i}|>`);
  return {
    tokens,
    merges: merges.map(([a, b]) => `${a} ${b}`),
    firstSpecialId,
    bosId: firstSpecialId,
    eosId: firstSpecialId + 1,
    eotId: firstSpecialId + 3,
    addBos,
  };
}

/** tokenizer.json for @huggingface/tokenizers and transformers. */
export function tokenizerJson(vocab: BpeVocabulary): Record<string, unknown> {
  const specials = vocab.tokens.slice(vocab.firstSpecialId);
  const bos = vocab.tokens[vocab.bosId];
  const postProcessor = vocab.addBos
    ? {
        type: 'TemplateProcessing',
        single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
        pair: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: bos, type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
        special_tokens: { [bos]: { id: bos, ids: [vocab.bosId], tokens: [bos] } },
      }
    : null;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((content, i) => ({
      id: vocab.firstSpecialId + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
    })),
    normalizer: null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: GPT2_SPLIT_PATTERN }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: postProcessor,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: false,
      vocab: Object.fromEntries(vocab.tokens.slice(0, vocab.firstSpecialId).map((token, id) => [token, id])),
      merges: vocab.merges,
    },
  };
}

export function tokenizerConfigJson(vocab: BpeVocabulary, maxPositions: number): Record<string, unknown> {
  const decoder: Record<string, unknown> = {};
  for (let id = vocab.firstSpecialId; id < vocab.tokens.length; id++) {
    decoder[String(id)] = { content: vocab.tokens[id], lstrip: false, normalized: false, rstrip: false, single_word: false, special: true };
  }
  return {
    added_tokens_decoder: decoder,
    bos_token: vocab.tokens[vocab.bosId],
    eos_token: vocab.tokens[vocab.eosId],
    add_bos_token: vocab.addBos,
    add_eos_token: false,
    chat_template: CHAT_TEMPLATE,
    clean_up_tokenization_spaces: false,
    model_max_length: maxPositions,
    tokenizer_class: 'PreTrainedTokenizerFast',
  };
}

export function generationConfigJson(vocab: BpeVocabulary): Record<string, unknown> {
  return { bos_token_id: vocab.bosId, eos_token_id: [vocab.eosId, vocab.eotId], do_sample: false };
}

/** GGUF tokenizer metadata for the byte-level BPE vocabulary (llama.cpp's "gpt2" model). */
export function bpeGgufMetadata(vocab: BpeVocabulary): [string, GgufEntry][] {
  const types = vocab.tokens.map((_, id) => (id >= vocab.firstSpecialId ? TOKEN_TYPE.control : TOKEN_TYPE.normal));
  return [
    ['tokenizer.ggml.model', gguf.str('gpt2')],
    // llama.cpp names this pre-tokenizer "gpt-2" and rejects "gpt2".
    ['tokenizer.ggml.pre', gguf.str('gpt-2')],
    ['tokenizer.ggml.tokens', gguf.array(GgufValueType.STRING, vocab.tokens)],
    ['tokenizer.ggml.token_type', gguf.array(GgufValueType.INT32, types)],
    ['tokenizer.ggml.merges', gguf.array(GgufValueType.STRING, vocab.merges)],
    ['tokenizer.ggml.bos_token_id', gguf.u32(vocab.bosId)],
    ['tokenizer.ggml.eos_token_id', gguf.u32(vocab.eosId)],
    ['tokenizer.ggml.eot_token_id', gguf.u32(vocab.eotId)],
    ['tokenizer.ggml.add_bos_token', gguf.bool(vocab.addBos)],
    ['tokenizer.ggml.add_eos_token', gguf.bool(false)],
    ['tokenizer.chat_template', gguf.str(CHAT_TEMPLATE)],
  ];
}

/**
 * GGUF metadata of a SentencePiece-style vocabulary (llama.cpp's "llama" model): <unk>, <s>, </s>,
 * the 256 byte tokens <0x00>..<0xFF>, the sample's characters and learned pieces (score = minus
 * merge rank, so earlier merges win), then reserved control tokens up to `vocabSize`.
 */
export function spmGgufMetadata(vocabSize: number): [string, GgufEntry][] {
  const tokens = ['<unk>', '<s>', '</s>'];
  const types: number[] = [TOKEN_TYPE.unknown, TOKEN_TYPE.control, TOKEN_TYPE.control];
  const scores: number[] = [0, 0, 0];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(TOKEN_TYPE.byte);
    scores.push(0);
  }

  const words = sentencePieceWords(SAMPLE_TEXT);
  const characters = [...new Set(words.flat())].sort();
  const budget = vocabSize - tokens.length - characters.length;
  if (budget < 0) throw new RangeError(`vocabulary size ${vocabSize} is below the minimum ${tokens.length + characters.length} of the SentencePiece test vocabulary`);
  const merges = learnMerges(words, budget);

  characters.forEach((character, i) => {
    tokens.push(character);
    types.push(TOKEN_TYPE.normal);
    scores.push(-1e6 - i);
  });
  const seen = new Set(tokens);
  merges.forEach(([a, b], rank) => {
    if (seen.has(a + b)) return;
    seen.add(a + b);
    tokens.push(a + b);
    types.push(TOKEN_TYPE.normal);
    scores.push(-rank);
  });
  for (let i = 0; tokens.length < vocabSize; i++) {
    tokens.push(`<reserved_${i}>`);
    types.push(TOKEN_TYPE.control);
    scores.push(0);
  }

  return [
    ['tokenizer.ggml.model', gguf.str('llama')],
    ['tokenizer.ggml.tokens', gguf.array(GgufValueType.STRING, tokens)],
    ['tokenizer.ggml.scores', gguf.array(GgufValueType.FLOAT32, scores)],
    ['tokenizer.ggml.token_type', gguf.array(GgufValueType.INT32, types)],
    ['tokenizer.ggml.unknown_token_id', gguf.u32(0)],
    ['tokenizer.ggml.bos_token_id', gguf.u32(1)],
    ['tokenizer.ggml.eos_token_id', gguf.u32(2)],
    ['tokenizer.ggml.add_bos_token', gguf.bool(true)],
    ['tokenizer.ggml.add_eos_token', gguf.bool(false)],
  ];
}
