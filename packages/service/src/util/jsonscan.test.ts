import { test } from "node:test";
import assert from "node:assert/strict";
import { JsonScanError, countArrayElements, objectMembers, spanText } from "./jsonscan.js";
import { resourceCount, stateFromEnvelope, verbatimState } from "../updates/state.js";

test("top-level members are found without parsing, escapes and nesting included", () => {
  const text = ` { "a" : 1, "b\\"q": "x\\\\\\"y]}", "c": {"d": [1, {"e": "}"}]}, "f": [ ], "g": null } `;
  const buf = Buffer.from(text);
  const m = objectMembers(buf);
  assert.deepEqual([...m.keys()], ["a", 'b"q', "c", "f", "g"]);
  assert.equal(spanText(buf, m.get("a")!), "1");
  assert.equal(JSON.parse(spanText(buf, m.get('b"q')!)), 'x\\"y]}');
  assert.deepEqual(JSON.parse(spanText(buf, m.get("c")!)), { d: [1, { e: "}" }] });
  assert.equal(countArrayElements(buf, m.get("f")!), 0);
  assert.equal(spanText(buf, m.get("g")!), "null");
});

test("array elements are counted; malformed text throws", () => {
  const buf = Buffer.from(`[1, "a,b", {"x": [1,2]}, [3], true]`);
  assert.equal(countArrayElements(buf, { start: 0, end: buf.length }), 5);
  assert.throws(() => objectMembers(Buffer.from(`{"a": "unterminated}`)), JsonScanError);
  assert.throws(() => objectMembers(Buffer.from(`{"a" 1}`)), JsonScanError);
  assert.throws(() => objectMembers(Buffer.from(`[1]`)), JsonScanError);
});

test("stored state keeps the deployment bytes as sent", () => {
  const dep = `{"manifest":{"time":"t","magic":"","version":""},"resources":[{"urn":"u1","custom":false,"type":"t"},{"urn":"u2","custom":false,"type":"t"}]}`;
  const state = stateFromEnvelope(Buffer.from(`{"isInvalid":false,"version":3,"features":["x"],"deployment":${dep}}`), "checkpoint");
  assert.equal(state.toString(), `{"version":3,"features":["x"],"deployment":${dep}}`);
  assert.equal(resourceCount(state), 2);
  assert.throws(() => stateFromEnvelope(Buffer.from(`{"version":0,"deployment":{}}`), "checkpoint"), /versions 1-4/);
  assert.throws(() => stateFromEnvelope(Buffer.from(`{"version":5,"deployment":{}}`), "checkpoint"), /newer/);
  assert.throws(() => stateFromEnvelope(Buffer.from(`{"version":3}`), "checkpoint"), /no deployment/);
  const ud = `{"version":3,"deployment":${dep}}`;
  const v = verbatimState(Buffer.from(`{"version":3,"untypedDeployment":${ud},"sequenceNumber":7}`));
  assert.equal(v.state.toString(), ud);
  assert.equal(v.sequenceNumber, 7);
});
