// GPT-2 byte-level alphabet: every byte maps to one printable code point, so a byte-level BPE
// vocabulary stores arbitrary bytes as ordinary text ("Ġ" is the space byte 0x20).

function buildByteToChar(): string[] {
  const table = new Array<string>(256);
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let next = 256;
  for (let b = 0; b < 256; b++) {
    table[b] = String.fromCodePoint(printable(b) ? b : next++);
  }
  return table;
}

const BYTE_TO_CHAR: readonly string[] = buildByteToChar();
const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((char, byte) => [char, byte]));
const utf8Encoder = new TextEncoder();

/** Encodes text as UTF-8 and spells each byte with its byte-level character. */
export function byteLevelEncode(text: string): string {
  let out = '';
  for (const byte of utf8Encoder.encode(text)) out += BYTE_TO_CHAR[byte];
  return out;
}

/** Returns the byte-level character of one byte (0..255). */
export function byteLevelChar(byte: number): string {
  return BYTE_TO_CHAR[byte];
}

/**
 * Converts a byte-level token back to its bytes. Returns null when the token contains a
 * character outside the byte-level alphabet, which only special or added tokens do.
 */
export function byteLevelDecode(token: string): Uint8Array | null {
  const bytes: number[] = [];
  for (const char of token) {
    const byte = CHAR_TO_BYTE.get(char);
    if (byte === undefined) return null;
    bytes.push(byte);
  }
  return Uint8Array.from(bytes);
}
