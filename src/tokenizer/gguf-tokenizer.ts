// Tokenizer over a GGUF vocabulary, giving the same ids as llama.cpp's llama_tokenize.
import { InputError } from '../util/errors.js';
import { log } from '../util/log.js';
import { bpeMergeWord } from './bpe.js';
import { byteLevelDecode, byteLevelEncode } from './byte-level.js';
import { ChatTemplate, missingChatTemplateError, type ChatMessage, type ChatTemplateOptions } from './chat-template.js';
import { readGgufVocab, TokenType, type GgufVocab } from './gguf-vocab.js';
import { compilePatterns, preTokenizerFor, splitWords, type PreTokenizerSpec } from './pretokenize.js';
import { mergeStopIds, partitionSpecialTokens, sortSpecialTokens, type SpecialToken } from './special-tokens.js';
import { spmMergeText } from './spm.js';
import type { DecodeOptions, EncodeOptions, Tokenizer } from './tokenizer.js';

const SPACE_MARK = '\u2581'; // "▁", SentencePiece's visible space
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8');

function byteTokenText(byte: number): string {
  return `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`;
}

class GgufTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bosId: number | null;
  readonly eosId: number | null;
  readonly eotIds: readonly number[];
  readonly stopIds: readonly number[];
  readonly addBos: boolean;
  readonly chatTemplate: string | null;

  private readonly specials: SpecialToken[];
  private readonly preTokenizer: PreTokenizerSpec | null;
  private readonly wordPatterns: RegExp[];
  private parsedTemplate: ChatTemplate | null = null;

  constructor(private readonly vocab: GgufVocab) {
    this.vocabSize = vocab.tokens.length;
    this.bosId = vocab.bosId;
    this.eosId = vocab.eosId;
    this.eotIds = vocab.endOfTurnIds;
    this.stopIds = mergeStopIds(vocab.eosId, vocab.endOfTurnIds);
    this.addBos = vocab.addBos;
    this.chatTemplate = vocab.chatTemplate;

    const specials: SpecialToken[] = [];
    vocab.types.forEach((type, id) => {
      if (type === TokenType.Control || type === TokenType.Unknown || type === TokenType.UserDefined) {
        specials.push({ id, text: vocab.tokens[id], alwaysMatched: type === TokenType.UserDefined });
      }
    });
    this.specials = sortSpecialTokens(specials);
    this.preTokenizer = vocab.model === 'gpt2' ? preTokenizerFor(vocab.pre, vocab.source) : null;
    this.wordPatterns = this.preTokenizer ? compilePatterns(this.preTokenizer) : [];
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    if (typeof text !== 'string') throw new InputError(`encode expects a string, found ${typeof text}`);
    const addSpecial = options.addSpecial ?? false;
    const fragments = partitionSpecialTokens(text, this.specials, options.parseSpecial ?? false);
    const ids: number[] = [];
    if (addSpecial && this.vocab.addBos) ids.push(this.vocab.bosId as number);

    let previousWasSpecial = true;
    for (const fragment of fragments) {
      if ('id' in fragment) {
        ids.push(fragment.id);
        previousWasSpecial = true;
      } else if (this.vocab.model === 'gpt2') {
        this.encodeBpeText(fragment.text, ids);
      } else {
        // SentencePiece adds the space prefix at the start and after every special token.
        const prefixed = this.vocab.addSpacePrefix && previousWasSpecial ? ` ${fragment.text}` : fragment.text;
        this.encodeSpmText(prefixed.replaceAll(' ', SPACE_MARK), ids);
        previousWasSpecial = false;
      }
    }

    if (addSpecial && this.vocab.addEos) ids.push(this.vocab.eosId as number);
    return ids;
  }

  private encodeBpeText(text: string, out: number[]): void {
    const { tokenToId, mergeRanks } = this.vocab;
    const ignoreMerges = this.preTokenizer?.ignoreMerges ?? false;
    for (const word of splitWords(text, this.wordPatterns)) {
      const encoded = byteLevelEncode(word);
      const whole = ignoreMerges ? tokenToId.get(encoded) : undefined;
      const pieces = whole !== undefined ? [encoded] : bpeMergeWord(encoded, mergeRanks);
      for (const piece of pieces) {
        const id = tokenToId.get(piece);
        if (id !== undefined) {
          out.push(id);
          continue;
        }
        // NOTE: llama.cpp falls back to single-character tokens here and silently drops
        // characters without one; a vocabulary with all 256 byte characters never gets here.
        for (const char of piece) {
          const charId = tokenToId.get(char);
          if (charId !== undefined) out.push(charId);
          else log.debug(`${this.vocab.source}: no token for byte-level character "${char}"; dropped as llama.cpp does`);
        }
      }
    }
  }

  private encodeSpmText(text: string, out: number[]): void {
    const { tokenToId, scores } = this.vocab;
    for (const piece of spmMergeText(text, tokenToId, scores)) {
      const id = tokenToId.get(piece);
      if (id !== undefined) {
        out.push(id);
        continue;
      }
      for (const byte of utf8Encoder.encode(piece)) out.push(this.byteToken(byte));
    }
  }

  private byteToken(byte: number): number {
    const { tokenToId } = this.vocab;
    const id = tokenToId.get(byteTokenText(byte)) ?? (byte < 0x80 ? tokenToId.get(String.fromCharCode(byte)) : undefined);
    if (id !== undefined) return id;
    if (this.vocab.unknownId !== null) return this.vocab.unknownId;
    throw new InputError(
      `${this.vocab.source}: the vocabulary has no byte token ${byteTokenText(byte)} and no unknown token, so the text cannot be encoded`,
      { source: this.vocab.source, expected: `a token ${byteTokenText(byte)}`, found: 'none' },
    );
  }

  /** Bytes of one token as llama.cpp's token_to_piece writes them. */
  private tokenBytes(id: number, skipSpecial: boolean): Uint8Array {
    const { tokens, types, model } = this.vocab;
    if (!Number.isInteger(id) || id < 0 || id >= tokens.length) {
      throw new InputError(`token id ${id} is outside the vocabulary of ${tokens.length} tokens`, {
        expected: `0..${tokens.length - 1}`,
        found: String(id),
      });
    }
    const text = tokens[id];
    switch (types[id]) {
      case TokenType.Control:
      case TokenType.Unknown:
        return skipSpecial ? new Uint8Array(0) : utf8Encoder.encode(text);
      case TokenType.UserDefined:
        return utf8Encoder.encode(text);
      case TokenType.Normal:
        if (model === 'llama') return utf8Encoder.encode(text.replaceAll(SPACE_MARK, ' '));
        return byteLevelDecode(text) ?? utf8Encoder.encode(text);
      case TokenType.Byte:
        return Uint8Array.of(Number.parseInt(text.slice(3, 5), 16));
      default:
        // Unused and undefined tokens decode to nothing, as in llama.cpp.
        return new Uint8Array(0);
    }
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    const skipSpecial = options.skipSpecial ?? false;
    const parts = ids.map((id) => this.tokenBytes(id, skipSpecial));
    // SentencePiece encoding put a space in front of the text, so decoding takes one space off
    // the first token. As in llama.cpp's llama_detokenize, only the very first id counts, so
    // a sequence that starts with BOS keeps its space.
    if (this.vocab.model === 'llama' && this.vocab.addSpacePrefix && parts.length > 0 && parts[0][0] === 0x20) {
      parts[0] = parts[0].subarray(1);
    }
    return utf8Decoder.decode(concatBytes(parts));
  }

  decodeToken(id: number): string {
    return utf8Decoder.decode(this.tokenBytes(id, false));
  }

  applyChatTemplate(messages: readonly ChatMessage[], options: ChatTemplateOptions): string {
    if (this.chatTemplate === null) throw missingChatTemplateError(this.vocab.source);
    this.parsedTemplate ??= new ChatTemplate(this.vocab.source, {
      bosToken: this.bosId !== null ? this.vocab.tokens[this.bosId] : '',
      eosToken: this.eosId !== null ? this.vocab.tokens[this.eosId] : '',
    }, this.chatTemplate);
    return this.parsedTemplate.render(messages, options);
  }
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Builds a tokenizer from GGUF metadata; `source` names the file in errors. */
export function createGgufTokenizer(metadata: Map<string, unknown>, source: string): Tokenizer {
  return new GgufTokenizer(readGgufVocab(metadata, source));
}
