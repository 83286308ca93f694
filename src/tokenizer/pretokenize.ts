// Pre-tokenizer regexes of byte-level BPE vocabularies, selected by the GGUF key
// `tokenizer.ggml.pre`. They split text into words before BPE merges run inside each word.
//
// The patterns follow llama.cpp's llm_tokenizer_bpe (src/llama-vocab.cpp), rewritten for
// JavaScript: `\s` becomes \p{White_Space}, because JavaScript's \s adds U+FEFF and lacks
// U+0085, while llama.cpp's whitespace table is the Unicode White_Space property.
// Inline `(?i:...)` groups, which Node 20 lacks, become explicit [sS] classes.
import { InputError } from '../util/errors.js';

const WS = '\\p{White_Space}';
const NOT_WS = '\\P{White_Space}';
const CONTRACTIONS_ANY_CASE = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";

/** GPT-2's pattern: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
const GPT2 = `'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^${WS}\\p{L}\\p{N}]+|${WS}+(?!${NOT_WS})|${WS}+`;

/** Llama 3's pattern. Qwen2's differs only in splitting numbers into single digits. */
function llama3Style(numberRun: string): string {
  return [
    CONTRACTIONS_ANY_CASE,
    '[^\\r\\n\\p{L}\\p{N}]?\\p{L}+',
    `\\p{N}${numberRun}`,
    ` ?[^${WS}\\p{L}\\p{N}]+[\\r\\n]*`,
    `${WS}*[\\r\\n]+`,
    `${WS}+(?!${NOT_WS})`,
    `${WS}+`,
  ].join('|');
}

/** Pre-tokenizer of one `tokenizer.ggml.pre` value. */
export interface PreTokenizerSpec {
  /** Patterns applied in order; each one splits every piece left by the previous one. */
  readonly patterns: readonly string[];
  /** A word that is itself a vocabulary token skips the merges (llama.cpp's ignore_merges). */
  readonly ignoreMerges: boolean;
}

const LLAMA3: PreTokenizerSpec = { patterns: [llama3Style('{1,3}')], ignoreMerges: true };
const QWEN2: PreTokenizerSpec = { patterns: [llama3Style('')], ignoreMerges: false };
const GPT2_SPEC: PreTokenizerSpec = { patterns: [GPT2], ignoreMerges: false };
const SMOLLM: PreTokenizerSpec = { patterns: ['\\p{N}', GPT2], ignoreMerges: false };
const DEFAULT: PreTokenizerSpec = {
  patterns: [
    '[\\p{P}\\$\\+<=>\\^~\\|]+',
    `'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^${WS}\\p{L}\\p{N}]+|${WS}+(?!${NOT_WS})`,
    '\\p{N}+',
    '[0-9][0-9][0-9]',
  ],
  ignoreMerges: false,
};
const DEEPSEEK_CODER: PreTokenizerSpec = {
  patterns: ['[\\r\\n]', `${WS}?\\p{L}+`, `${WS}?\\p{P}+`, '[\u4e00-\u9fa5\u0800-\u4e00\uac00-\ud7ff]+', '\\p{N}'],
  ignoreMerges: false,
};

/** Supported `tokenizer.ggml.pre` values. Aliases are the names llama.cpp accepts for the same pattern. */
const PRE_TOKENIZERS: ReadonlyMap<string, PreTokenizerSpec> = new Map([
  ['default', DEFAULT],
  ['gpt-2', GPT2_SPEC],
  // NOTE: llama.cpp spells this one "gpt-2" and rejects "gpt2"; it is accepted here as an alias.
  ['gpt2', GPT2_SPEC],
  ['llama3', LLAMA3],
  ['llama-v3', LLAMA3],
  ['llama-bpe', LLAMA3],
  ['qwen2', QWEN2],
  ['deepseek-r1-qwen', QWEN2],
  ['smollm', SMOLLM],
  ['starcoder', SMOLLM],
  ['deepseek-coder', DEEPSEEK_CODER],
]);

export function supportedPreTokenizers(): string[] {
  return [...PRE_TOKENIZERS.keys()];
}

/** Returns the pre-tokenizer for a `tokenizer.ggml.pre` value, or raises InputError naming the supported ones. */
export function preTokenizerFor(pre: string, source: string): PreTokenizerSpec {
  const spec = PRE_TOKENIZERS.get(pre);
  if (spec === undefined) {
    throw new InputError(
      `${source}: unsupported pre-tokenizer tokenizer.ggml.pre = "${pre}"; supported: ${supportedPreTokenizers().join(', ')}`,
      { source, expected: supportedPreTokenizers().join(', '), found: pre },
    );
  }
  return spec;
}

/**
 * Splits text into words with the patterns in order. Text that a pattern does not match
 * stays as its own piece, as in llama.cpp, so no character is lost.
 */
export function splitWords(text: string, patterns: readonly RegExp[]): string[] {
  let pieces = [text];
  for (const pattern of patterns) {
    const next: string[] = [];
    for (const piece of pieces) {
      let last = 0;
      for (const match of piece.matchAll(pattern)) {
        const start = match.index ?? 0;
        if (match[0].length === 0) continue;
        if (start > last) next.push(piece.slice(last, start));
        next.push(match[0]);
        last = start + match[0].length;
      }
      if (last < piece.length) next.push(piece.slice(last));
    }
    pieces = next;
  }
  return pieces;
}

/** Compiles the patterns of a pre-tokenizer into global Unicode regexes. */
export function compilePatterns(spec: PreTokenizerSpec): RegExp[] {
  return spec.patterns.map((pattern) => new RegExp(pattern, 'gu'));
}
