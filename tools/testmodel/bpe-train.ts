// A small byte-level BPE trainer (GPT-2 style) and a character-level one for SentencePiece-style
// vocabularies. Ties between equally frequent pairs go to the lexicographically smaller pair, so
// training is deterministic.

/** GPT-2's pre-tokenizer pattern, as used by tokenizer.json Split and llama.cpp's "gpt-2" pre-tokenizer. */
export const GPT2_SPLIT_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/**
 * GPT-2's map from bytes to printable characters: printable Latin-1 bytes map to themselves and
 * the rest to code points from 256 up, in byte order.
 */
export function byteToUnicode(): string[] {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const map: string[] = [];
  let next = 256;
  for (let b = 0; b < 256; b++) map.push(String.fromCodePoint(printable(b) ? b : next++));
  return map;
}

/** Counts each distinct word (a list of symbols) in `words`. */
function countWords(words: readonly string[][]): Map<string, { symbols: string[]; count: number }> {
  const counts = new Map<string, { symbols: string[]; count: number }>();
  for (const symbols of words) {
    const key = symbols.join('\u0000');
    const entry = counts.get(key);
    if (entry === undefined) counts.set(key, { symbols: [...symbols], count: 1 });
    else entry.count++;
  }
  return counts;
}

/** Learns up to `maxMerges` merges over words given as symbol lists; returns them in merge order. */
export function learnMerges(words: readonly string[][], maxMerges: number): [string, string][] {
  const entries = [...countWords(words).values()];
  const merges: [string, string][] = [];
  while (merges.length < maxMerges) {
    const pairs = new Map<string, number>();
    for (const { symbols, count } of entries) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = `${symbols[i]}\u0000${symbols[i + 1]}`;
        pairs.set(key, (pairs.get(key) ?? 0) + count);
      }
    }
    let best: string | undefined;
    let bestCount = 1;
    for (const [key, count] of pairs) {
      if (count > bestCount || (count === bestCount && best !== undefined && key < best)) {
        best = key;
        bestCount = count;
      }
    }
    // A pair seen only once teaches nothing; stop there.
    if (best === undefined) break;
    const [left, right] = best.split('\u0000') as [string, string];
    merges.push([left, right]);
    for (const entry of entries) {
      const merged: string[] = [];
      for (let i = 0; i < entry.symbols.length; i++) {
        if (i + 1 < entry.symbols.length && entry.symbols[i] === left && entry.symbols[i + 1] === right) {
          merged.push(left + right);
          i++;
        } else {
          merged.push(entry.symbols[i]);
        }
      }
      entry.symbols = merged;
    }
  }
  return merges;
}

/** Splits text with the GPT-2 pattern and maps each piece's UTF-8 bytes to byte-level symbols. */
export function byteLevelWords(text: string): string[][] {
  const map = byteToUnicode();
  const encoder = new TextEncoder();
  const pieces = text.match(new RegExp(GPT2_SPLIT_PATTERN, 'gu')) ?? [];
  return pieces.map((piece) => Array.from(encoder.encode(piece), (b) => map[b]));
}

/** SentencePiece-style words: spaces become U+2581 and each word keeps its leading marker. */
export function sentencePieceWords(text: string): string[][] {
  const marked = ('\u2581' + text.replace(/ /g, '\u2581')).split('\n');
  return marked.flatMap((line) => line.split(/(?=\u2581)/u)).filter((w) => w.length > 0).map((word) => Array.from(word));
}
