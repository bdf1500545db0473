import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:http2";
import { createServer } from "node:net";
import { encodeHeaderBlock, HpackDecoder, HpackError } from "./hpack.js";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

test("decodes RFC 7541 C.3's three requests on one table, and C.4's Huffman-coded ones", () => {
  const plain = new HpackDecoder();
  assert.deepEqual(plain.decode(hex("8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d")), [
    [":method", "GET"],
    [":scheme", "http"],
    [":path", "/"],
    [":authority", "www.example.com"],
  ]);
  assert.deepEqual(plain.decode(hex("8286 84be 5808 6e6f 2d63 6163 6865")), [
    [":method", "GET"],
    [":scheme", "http"],
    [":path", "/"],
    [":authority", "www.example.com"],
    ["cache-control", "no-cache"],
  ]);
  assert.deepEqual(plain.decode(hex("8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65")), [
    [":method", "GET"],
    [":scheme", "https"],
    [":path", "/index.html"],
    [":authority", "www.example.com"],
    ["custom-key", "custom-value"],
  ]);
  const huffman = new HpackDecoder();
  assert.deepEqual(huffman.decode(hex("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff")).at(-1), [":authority", "www.example.com"]);
  assert.deepEqual(huffman.decode(hex("8286 84be 5886 a8eb 1064 9cbf")).at(-1), ["cache-control", "no-cache"]);
});

test("the dynamic table evicts oldest first and honours size updates; malformed blocks are errors", () => {
  // Room for one 32+1+1 entry only.
  const decoder = new HpackDecoder(40);
  assert.deepEqual(decoder.decode(hex("40 0161 0131")), [["a", "1"]]);
  assert.deepEqual(decoder.decode(hex("be")), [["a", "1"]]);
  assert.deepEqual(decoder.decode(hex("40 0162 0132")), [["b", "2"]]);
  assert.deepEqual(decoder.decode(hex("be")), [["b", "2"]]);
  assert.throws(() => decoder.decode(hex("bf")), HpackError);
  // Size update to 0 empties the table.
  assert.deepEqual(decoder.decode(hex("20")), []);
  assert.throws(() => decoder.decode(hex("be")), HpackError);
  assert.throws(() => decoder.decode(hex("3f 20")), /above 40/);
  assert.throws(() => decoder.decode(hex("80")), /index 0/);
  assert.throws(() => decoder.decode(hex("40 0561")), /truncated/);
  assert.throws(() => decoder.decode(hex("ff ff ff ff ff 0f")), /too large/);
});

test("encodeHeaderBlock's literals decode back to the same fields", () => {
  const fields: [string, string][] = [
    [":status", "200"],
    [":status", "415"],
    ["content-type", "application/grpc"],
    ["grpc-status", "13"],
    ["grpc-message", "x".repeat(300)],
  ];
  assert.deepEqual(new HpackDecoder().decode(encodeHeaderBlock(fields)), fields);
  assert.deepEqual([...encodeHeaderBlock([[":status", "200"]])], [0x88]);
});

test("decodes what Node's HTTP/2 client (nghttp2: Huffman, indexing) sends, across many requests", async () => {
  const blocks: Buffer[] = [];
  let input = Buffer.alloc(0);
  // Reads the client's frames raw and keeps each HEADERS block (the values here need no CONTINUATION).
  const server = createServer((socket) => {
    socket.write(Buffer.from("000000040000000000", "hex"));
    socket.on("data", (chunk: Buffer) => {
      input = Buffer.concat([input, chunk]);
      if (input.subarray(0, 3).toString() === "PRI") input = input.subarray(24);
      while (input.length >= 9 && input.length >= 9 + input.readUIntBE(0, 3)) {
        const length = input.readUIntBE(0, 3);
        if (input[3] === 1) blocks.push(input.subarray(9, 9 + length));
        input = input.subarray(9 + length);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const session = connect(`http://127.0.0.1:${port}`);
  // Every byte a header value may carry, in values that repeat (indexed) and values that do not.
  const printable = Array.from({ length: 0x7e - 0x20 + 1 }, (_, i) => String.fromCharCode(0x20 + i)).join("").trim();
  const high = Array.from({ length: 0x80 }, (_, i) => String.fromCharCode(0x80 + i)).join("");
  const sent: Record<string, string>[] = [];
  for (let i = 0; i < 40; i++) {
    const headers = { ":method": "POST", ":path": `/pulumirpc.Engine/Log`, "content-type": "application/grpc", "x-printable": printable, "x-high": high, "x-count": `${i}:${"z".repeat(i * 13)}` };
    sent.push(headers);
    session.request(headers, { endStream: true }).on("error", () => undefined);
  }
  try {
    while (blocks.length < sent.length) await new Promise((resolve) => setTimeout(resolve, 5));
    const decoder = new HpackDecoder();
    blocks.forEach((block, i) => {
      const fields = new Map(decoder.decode(block));
      for (const [name, value] of Object.entries(sent[i]!)) assert.equal(fields.get(name), Buffer.from(value, "latin1").toString("latin1"), `${name} of request ${i}`);
    });
  } finally {
    session.destroy();
    server.close();
  }
});
