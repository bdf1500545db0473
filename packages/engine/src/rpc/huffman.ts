/**
 * HPACK's Huffman code (RFC 7541, Appendix B), decoding only. The code is canonical: each symbol's
 * code follows from the code lengths alone (codes of one length are consecutive in symbol order,
 * and each length starts where the shorter ones left off), so only the lengths are kept here.
 */

/** Code length in bits of each symbol, 0–255, then EOS (256). */
// prettier-ignore
const CODE_LENGTHS: readonly number[] = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, // 0–15
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28, // 16–31
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, // ' ' – '/'
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10, // '0' – '?'
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, // '@' – 'O'
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, // 'P' – '_'
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, // '`' – 'o'
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, // 'p' – 127
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, // 128–143
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, // 144–159
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, // 160–175
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, // 176–191
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, // 192–207
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, // 208–223
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, // 224–239
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, // 240–255
  30, // EOS
];

export const EOS = 256;
const MAX_LENGTH = 30;

/**
 * The canonical decoding tables: for each length, the first code of that length, how many codes
 * have it, and where its symbols start in `symbols` (all symbols ordered by length, then value).
 */
const firstCode = new Array<number>(MAX_LENGTH + 1).fill(0);
const countOfLength = new Array<number>(MAX_LENGTH + 1).fill(0);
const symbolOffset = new Array<number>(MAX_LENGTH + 1).fill(0);
const symbols: number[] = [];
{
  for (const length of CODE_LENGTHS) countOfLength[length]!++;
  let code = 0;
  for (let length = 1; length <= MAX_LENGTH; length++) {
    firstCode[length] = code;
    symbolOffset[length] = symbols.length;
    for (let symbol = 0; symbol < CODE_LENGTHS.length; symbol++) if (CODE_LENGTHS[symbol] === length) symbols.push(symbol);
    code = (code + countOfLength[length]!) * 2;
  }
}

/** Each symbol's code, as the encoder writes it (most significant bit first); for tests. */
export function huffmanCode(symbol: number): { code: number; bits: number } {
  const bits = CODE_LENGTHS[symbol]!;
  const rank = symbols.indexOf(symbol, symbolOffset[bits]) - symbolOffset[bits]!;
  return { code: firstCode[bits]! + rank, bits };
}

export class HuffmanError extends Error {}

/**
 * Decodes a Huffman-coded string literal into its bytes. Padding must be the most significant bits
 * of EOS (all ones) and shorter than a byte; EOS itself must not appear.
 */
export function huffmanDecode(input: Uint8Array, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(Math.ceil(((end - start) * 8) / 5));
  let written = 0;
  let code = 0;
  let length = 0;
  for (let i = start; i < end; i++) {
    const byte = input[i]!;
    for (let bit = 7; bit >= 0; bit--) {
      code = code * 2 + ((byte >> bit) & 1);
      length++;
      const rank = code - firstCode[length]!;
      if (rank < countOfLength[length]!) {
        const symbol = symbols[symbolOffset[length]! + rank]!;
        if (symbol === EOS) throw new HuffmanError("EOS in a Huffman-coded string");
        out[written++] = symbol;
        code = 0;
        length = 0;
      } else if (length === MAX_LENGTH) {
        throw new HuffmanError("invalid Huffman code");
      }
    }
  }
  if (length > 7 || code !== 2 ** length - 1) throw new HuffmanError("invalid Huffman padding");
  return out.subarray(0, written);
}
