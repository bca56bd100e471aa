// The HPACK Huffman code (RFC 7541, Appendix B), decoding only: header values the agent's HTTP/2
// server sends may be Huffman-coded; unitsync's own requests never are. The code is canonical, so
// the bit length of each symbol's code is all the table needs.

/** Code lengths of the bytes 0–255; EOS (256) is 30 bits. */
const LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
];
const EOS = 256;
const MAX_LENGTH = 30;

/** Canonical decoding: per length, its first code, how many codes it has and where they start in SYMBOLS. */
const SYMBOLS = LENGTHS.map((_, symbol) => symbol).sort((a, b) => LENGTHS[a]! - LENGTHS[b]! || a - b);
const FIRST_CODE = new Array<number>(MAX_LENGTH + 1).fill(0);
const COUNT = new Array<number>(MAX_LENGTH + 1).fill(0);
const FIRST_INDEX = new Array<number>(MAX_LENGTH + 1).fill(0);
{
  for (const length of LENGTHS) COUNT[length]!++;
  let code = 0;
  let index = 0;
  for (let length = 1; length <= MAX_LENGTH; length++) {
    FIRST_CODE[length] = code;
    FIRST_INDEX[length] = index;
    code = (code + COUNT[length]!) * 2;
    index += COUNT[length]!;
  }
}

export class HuffmanError extends Error {}

/** The bytes a Huffman-coded string stands for; throws HuffmanError on a malformed one. */
export function huffmanDecode(input: Uint8Array): Buffer {
  const out: number[] = [];
  let code = 0;
  let length = 0;
  for (const byte of input) {
    for (let bit = 7; bit >= 0; bit--) {
      code = code * 2 + ((byte >> bit) & 1);
      length++;
      const offset = code - FIRST_CODE[length]!;
      if (offset < COUNT[length]!) {
        const symbol = SYMBOLS[FIRST_INDEX[length]! + offset]!;
        if (symbol === EOS) throw new HuffmanError("a Huffman-coded string holds EOS");
        out.push(symbol);
        code = 0;
        length = 0;
      } else if (length === MAX_LENGTH) {
        throw new HuffmanError("a Huffman-coded string holds an unknown code");
      }
    }
  }
  // What is left is padding: at most 7 bits, all ones (the start of EOS).
  if (length > 7 || code !== 2 ** length - 1) throw new HuffmanError("a Huffman-coded string ends in bad padding");
  return Buffer.from(out);
}
