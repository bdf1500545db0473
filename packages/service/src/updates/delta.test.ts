import { test } from "node:test";
import assert from "node:assert/strict";
import type { TextEdit } from "@stackyard/protocol";
import { applyDelta, decideDelta, sha256Hex } from "./delta.js";

const edit = (start: number, end: number, NewText: string): TextEdit => ({
  Span: { uri: "", start: { line: 1, column: 1, offset: start }, end: { line: 1, column: 1, offset: end } }, NewText,
});

test("edits apply in order at byte offsets, multi-byte text included", () => {
  const base = Buffer.from("héllo wörld");
  // "é" is two bytes: "h" 0, "é" 1-2, "llo" 3-5, " " 6, "w" 7, "ö" 8-9, "rld" 10-12
  const out = applyDelta(base, [edit(1, 3, "e"), edit(7, 10, "WO")]);
  assert.equal(out?.toString(), "hello WOrld");
  assert.equal(applyDelta(base, [])?.toString(), "héllo wörld");
  assert.equal(applyDelta(base, [edit(base.length, base.length, "!")])?.toString(), "héllo wörld!");
});

test("edits out of order or out of range are refused", () => {
  const base = Buffer.from("abcdef");
  assert.equal(applyDelta(base, [edit(3, 4, "x"), edit(1, 2, "y")]), undefined);
  assert.equal(applyDelta(base, [edit(2, 10, "x")]), undefined);
  assert.equal(applyDelta(base, [edit(4, 2, "x")]), undefined);
});

test("delta decisions: apply on the previous number, no-op on an identical retry, refuse otherwise", () => {
  const stored = { sequenceNumber: 4, hash: () => "h4" };
  assert.deepEqual(decideDelta(stored, 5, "h5"), { kind: "apply" });
  assert.deepEqual(decideDelta(stored, 4, "h4"), { kind: "already-applied" });
  assert.equal(decideDelta(stored, 4, "other").kind, "reject");
  assert.equal(decideDelta(stored, 7, "h7").kind, "reject");
  assert.equal(decideDelta(stored, 3, "h3").kind, "reject");
  assert.equal(decideDelta(undefined, 1, "h").kind, "reject");
});

test("sha256Hex is lowercase hex of the bytes", () => {
  assert.equal(sha256Hex(Buffer.from("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
});
