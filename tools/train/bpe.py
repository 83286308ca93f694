"""Byte-level BPE in the GPT-2 layout: train merges, encode text, save and load.

Token ids: 0-255 are the bytes (token text in GPT-2's byte-to-unicode alphabet), then one id
per merge in rank order, then the special tokens. The pre-tokenizer approximates llama.cpp's
'gpt2' regex with the re module: \\p{L} becomes [^\\W\\d_] and \\p{N} becomes \\d, which agree
on ASCII text such as Python sources.
"""

import heapq
import json
import re
from collections import Counter

SPECIAL_TOKENS = ['<|begin_of_text|>', '<|end_of_text|>', '<|user|>', '<|assistant|>', '<|end|>']
PRETOKEN = re.compile(
    r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+""")
SPECIAL_SPLIT = re.compile('(' + '|'.join(re.escape(t) for t in SPECIAL_TOKENS) + ')')


def byte_alphabet():
    """Map each byte to the printable character GPT-2 uses for it in token texts."""
    printable = list(range(ord('!'), ord('~') + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    mapping = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in mapping:
            mapping[b] = chr(256 + extra)
            extra += 1
    return mapping


BYTE_TO_CHAR = byte_alphabet()


def pretokenize(text):
    return PRETOKEN.findall(text)


def train_merges(texts, merge_count):
    """Learn merge_count merges, most frequent pair first, ties broken by the smaller id pair."""
    word_counts = Counter()
    for text in texts:
        for piece in SPECIAL_SPLIT.split(text):
            if piece in SPECIAL_TOKENS:
                continue
            word_counts.update(pretokenize(piece))
    words = [list(w.encode('utf-8')) for w in word_counts]
    counts = list(word_counts.values())

    pair_counts = Counter()
    pair_words = {}
    for index, (symbols, count) in enumerate(zip(words, counts)):
        for pair in zip(symbols, symbols[1:]):
            pair_counts[pair] += count
            pair_words.setdefault(pair, set()).add(index)
    heap = [(-c, p) for p, c in pair_counts.items()]
    heapq.heapify(heap)

    merges = []
    next_id = 256
    while len(merges) < merge_count and heap:
        negative, pair = heapq.heappop(heap)
        if pair_counts.get(pair, 0) != -negative or -negative <= 0:
            continue  # stale heap entry
        merges.append(pair)
        new_id = next_id
        next_id += 1
        changed = Counter()
        for index in pair_words.pop(pair, ()):
            symbols = words[index]
            count = counts[index]
            for old in zip(symbols, symbols[1:]):
                changed[old] -= count
            merged = []
            i = 0
            while i < len(symbols):
                if i + 1 < len(symbols) and symbols[i] == pair[0] and symbols[i + 1] == pair[1]:
                    merged.append(new_id)
                    i += 2
                else:
                    merged.append(symbols[i])
                    i += 1
            words[index] = merged
            for new in zip(merged, merged[1:]):
                changed[new] += count
                pair_words.setdefault(new, set()).add(index)
        for p, delta in changed.items():
            if delta == 0:
                continue
            pair_counts[p] += delta
            if pair_counts[p] > 0 and p != pair:
                heapq.heappush(heap, (-pair_counts[p], p))
        pair_counts.pop(pair, None)
    return merges


class Tokenizer:
    """Encoder and vocabulary built from a merge list."""

    def __init__(self, merges):
        self.merges = [tuple(m) for m in merges]
        self.ranks = {pair: rank for rank, pair in enumerate(self.merges)}
        self.token_bytes = [bytes([b]) for b in range(256)]
        for a, b in self.merges:
            self.token_bytes.append(self.token_bytes[a] + self.token_bytes[b])
        self.special_ids = {t: len(self.token_bytes) + i for i, t in enumerate(SPECIAL_TOKENS)}
        self.cache = {}

    @property
    def vocab_size(self):
        return len(self.token_bytes) + len(SPECIAL_TOKENS)

    def token_text(self, token_id):
        """Return the token's text as GGUF stores it: byte-to-unicode for normal tokens."""
        if token_id >= len(self.token_bytes):
            return SPECIAL_TOKENS[token_id - len(self.token_bytes)]
        return ''.join(BYTE_TO_CHAR[b] for b in self.token_bytes[token_id])

    def merge_texts(self):
        return [f'{self.token_text(a)} {self.token_text(b)}' for a, b in self.merges]

    def encode_word(self, word):
        cached = self.cache.get(word)
        if cached is not None:
            return cached
        symbols = list(word.encode('utf-8'))
        while len(symbols) > 1:
            best = None
            for i, pair in enumerate(zip(symbols, symbols[1:])):
                rank = self.ranks.get(pair)
                if rank is not None and (best is None or rank < best[0]):
                    best = (rank, i)
            if best is None:
                break
            rank, i = best
            symbols[i:i + 2] = [256 + rank]
        self.cache[word] = symbols
        return symbols

    def encode(self, text):
        """Encode text; the special token strings become their single ids."""
        ids = []
        for piece in SPECIAL_SPLIT.split(text):
            if not piece:
                continue
            if piece in self.special_ids:
                ids.append(self.special_ids[piece])
                continue
            for word in pretokenize(piece):
                ids.extend(self.encode_word(word))
        return ids

    def decode(self, ids):
        out = bytearray()
        for token_id in ids:
            if token_id >= len(self.token_bytes):
                out += SPECIAL_TOKENS[token_id - len(self.token_bytes)].encode()
            else:
                out += self.token_bytes[token_id]
        return out.decode('utf-8', errors='replace')

    def save(self, path):
        with open(path, 'w', encoding='utf-8') as f:
            json.dump({'merges': self.merges, 'special_tokens': SPECIAL_TOKENS}, f)

    @classmethod
    def load(cls, path):
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
        if data.get('special_tokens') != SPECIAL_TOKENS:
            raise ValueError(f'{path}: special tokens are {data.get("special_tokens")!r}, expected {SPECIAL_TOKENS!r}')
        return cls(data['merges'])
