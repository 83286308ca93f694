// Byte-level BPE over one pre-tokenized word, with merge ranks from `tokenizer.ggml.merges`.
import { MinHeap } from './heap.js';

interface Symbol {
  text: string;
  prev: number;
  next: number;
}

interface Candidate {
  left: number;
  right: number;
  rank: number;
  /** Concatenated text when the candidate was queued; a changed symbol makes it stale. */
  text: string;
}

/** Lower rank first, then the leftmost pair, so results match llama.cpp's queue order. */
function compareCandidates(a: Candidate, b: Candidate): number {
  return a.rank - b.rank || a.left - b.left;
}

/**
 * Merges the characters of a byte-level encoded word and returns the resulting pieces.
 * The loop always merges the pair with the lowest rank, leftmost on ties.
 */
export function bpeMergeWord(word: string, mergeRanks: ReadonlyMap<string, number>): string[] {
  const chars = Array.from(word);
  const symbols: Symbol[] = chars.map((char, i) => ({ text: char, prev: i - 1, next: i + 1 < chars.length ? i + 1 : -1 }));
  const queue = new MinHeap<Candidate>(compareCandidates);

  const tryQueue = (left: number, right: number) => {
    if (left < 0 || right < 0) return;
    const leftText = symbols[left].text;
    const rightText = symbols[right].text;
    const rank = mergeRanks.get(`${leftText} ${rightText}`);
    if (rank !== undefined) queue.push({ left, right, rank, text: leftText + rightText });
  };

  for (let i = 1; i < symbols.length; i++) tryQueue(i - 1, i);

  while (queue.size > 0) {
    const candidate = queue.pop() as Candidate;
    const left = symbols[candidate.left];
    const right = symbols[candidate.right];
    if (left.text === '' || right.text === '' || left.text + right.text !== candidate.text || left.next !== candidate.right) continue;

    left.text += right.text;
    right.text = '';
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = candidate.left;

    tryQueue(left.prev, candidate.left);
    tryQueue(candidate.left, left.next);
  }

  return symbols.filter((symbol) => symbol.text !== '').map((symbol) => symbol.text);
}
