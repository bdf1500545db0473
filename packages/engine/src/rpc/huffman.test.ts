import { test } from "node:test";
import assert from "node:assert/strict";
import { EOS, huffmanCode, huffmanDecode } from "./huffman.js";

test("the code lengths make a complete canonical code, matching RFC 7541's table at its landmarks", () => {
  let kraft = 0;
  for (let symbol = 0; symbol <= EOS; symbol++) kraft += 2 ** -huffmanCode(symbol).bits;
  assert.equal(kraft, 1);
  // A sample of Appendix B, from the shortest codes to the longest.
  const expected: [number, number, number][] = [
    [0x30, 0x0, 5], // '0'
    [0x74, 0x9, 5], // 't'
    [0x20, 0x14, 6], // ' '
    [0x3a, 0x5c, 7], // ':'
    [0x26, 0xf8, 8], // '&'
    [0x21, 0x3f8, 10], // '!'
    [0x7c, 0x7fc, 11], // '|'
    [0x00, 0x1ff8, 13],
    [0x5c, 0x7fff0, 19], // '\'
    [0x80, 0xfffe6, 20],
    [0xff, 0x3ffffee, 26],
    [0x0a, 0x3ffffffc, 30],
    [EOS, 0x3fffffff, 30],
  ];
  for (const [symbol, code, bits] of expected) assert.deepEqual(huffmanCode(symbol), { code, bits }, `symbol ${symbol}`);
});

test("decodes RFC 7541's examples; rejects bad padding and EOS", () => {
  const decode = (hex: string) => huffmanDecode(Buffer.from(hex, "hex"), 0, hex.length / 2).toString("latin1");
  assert.equal(decode("f1e3c2e5f23a6ba0ab90f4ff"), "www.example.com");
  assert.equal(decode("a8eb10649cbf"), "no-cache");
  assert.equal(decode("25a849e95ba97d7f"), "custom-key");
  assert.equal(decode(""), "");
  // '0' (00000) padded with zeros instead of ones.
  assert.throws(() => decode("00"), /padding/);
  // A full byte of padding.
  assert.throws(() => decode("07ff"), /padding/);
  // EOS spelled out.
  assert.throws(() => decode("ffffffff"), /EOS/);
});
