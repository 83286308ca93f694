// SentencePiece BPE by scores (GGUF `tokenizer.ggml.model = "llama"`), as llama.cpp's
// llm_tokenizer_spm runs it: adjacent pieces merge when their concatenation is a vocabulary
// token, highest score first.
import { MinHeap } from './heap.js';

interface Symbol {
  text: string;
  prev: number;
  next: number;
}

interface Candidate {
  left: number;
  right: number;
  score: number;
  /** UTF-16 length of the concatenation when queued; a different length marks it stale. */
  length: number;
}

/** Higher score first, then the leftmost pair. */
function compareCandidates(a: Candidate, b: Candidate): number {
  return b.score - a.score || a.left - b.left;
}

/**
 * Merges the characters of `text` (spaces already replaced by "▁") and returns the final
 * pieces. A piece may be outside the vocabulary; the caller spells it with byte tokens.
 */
export function spmMergeText(text: string, tokenToId: ReadonlyMap<string, number>, scores: Float32Array): string[] {
  const chars = Array.from(text);
  const symbols: Symbol[] = chars.map((char, i) => ({ text: char, prev: i - 1, next: i + 1 < chars.length ? i + 1 : -1 }));
  const queue = new MinHeap<Candidate>(compareCandidates);

  const tryQueue = (left: number, right: number) => {
    if (left < 0 || right < 0) return;
    const merged = symbols[left].text + symbols[right].text;
    const id = tokenToId.get(merged);
    if (id === undefined) return;
    queue.push({ left, right, score: scores[id], length: merged.length });
  };

  for (let i = 1; i < symbols.length; i++) tryQueue(i - 1, i);

  while (queue.size > 0) {
    const candidate = queue.pop() as Candidate;
    const left = symbols[candidate.left];
    const right = symbols[candidate.right];
    if (left.text === '' || right.text === '' || left.text.length + right.text.length !== candidate.length) continue;

    left.text += right.text;
    right.text = '';
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = candidate.left;

    tryQueue(left.prev, candidate.left);
    tryQueue(candidate.left, left.next);
  }

  return symbols.filter((symbol) => symbol.text !== '').map((symbol) => symbol.text);
}
