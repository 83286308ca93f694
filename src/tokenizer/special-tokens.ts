// Splits text around special tokens before the subword model runs, as llama.cpp's
// tokenizer_st_partition does.

/** A piece of input: plain text for the subword model, or an already matched token id. */
export type Fragment = { readonly text: string } | { readonly id: number };

export interface SpecialToken {
  readonly id: number;
  readonly text: string;
  /** Matched even when the caller did not ask to parse special tokens (user-defined tokens). */
  readonly alwaysMatched: boolean;
}

const utf8Encoder = new TextEncoder();

/** Orders special tokens longest first (by UTF-8 length), so a longer token wins over its prefix. */
export function sortSpecialTokens(tokens: SpecialToken[]): SpecialToken[] {
  const byteLength = new Map(tokens.map((token) => [token.id, utf8Encoder.encode(token.text).length]));
  return tokens.sort((a, b) => (byteLength.get(b.id) as number) - (byteLength.get(a.id) as number) || a.id - b.id);
}

/**
 * Splits `text` around every occurrence of each special token, longest token first.
 * Tokens that are not `alwaysMatched` are only matched when `parseSpecial` is true.
 */
export function partitionSpecialTokens(text: string, specials: readonly SpecialToken[], parseSpecial: boolean): Fragment[] {
  let fragments: Fragment[] = text.length > 0 ? [{ text }] : [];
  for (const special of specials) {
    if (!parseSpecial && !special.alwaysMatched) continue;
    const next: Fragment[] = [];
    for (const fragment of fragments) {
      if (!('text' in fragment)) {
        next.push(fragment);
        continue;
      }
      let start = 0;
      for (let at = fragment.text.indexOf(special.text); at >= 0; at = fragment.text.indexOf(special.text, start)) {
        if (at > start) next.push({ text: fragment.text.slice(start, at) });
        next.push({ id: special.id });
        start = at + special.text.length;
      }
      if (start < fragment.text.length) next.push({ text: fragment.text.slice(start) });
    }
    fragments = next;
  }
  return fragments;
}

/** Merges EOS and end-of-turn ids into one ascending list without duplicates. */
export function mergeStopIds(eosId: number | null, eotIds: readonly number[]): number[] {
  const ids = new Set(eotIds);
  if (eosId !== null) ids.add(eosId);
  return [...ids].sort((a, b) => a - b);
}
