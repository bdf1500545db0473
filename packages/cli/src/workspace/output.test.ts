import { test } from "node:test";
import assert from "node:assert/strict";
import { formatJson, formatTime, goDuration, goTimeString, humanizeTime, renderTable } from "./output.js";

test("tables pad to the widest cell with a two-space gap and no trailing spaces", () => {
  assert.equal(renderTable(["KEY", "VALUE"], [["a", "1"], ["longer", "2"]]), "KEY     VALUE\na       1\nlonger  2\n");
  assert.equal(renderTable(["A", "B"], [{ columns: ["x", "y"], info: "    extra\n" }], "  "), "  A  B\n  x  y\n    extra\n");
});

test("time and JSON formats", () => {
  assert.equal(formatTime(1700000000), "2023-11-14T22:13:20.000Z");
  assert.match(formatTime(1700000000), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(formatJson({ a: [1] }), '{\n  "a": [\n    1\n  ]\n}\n');
  assert.equal(goDuration(0), "0s");
  assert.equal(goDuration(62), "1m2s");
  assert.equal(goDuration(3605), "1h0m5s");
  assert.equal(goTimeString(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 120))), "2026-01-02 03:04:05.12 +0000 UTC");
  assert.equal(humanizeTime(1000, 1000 + 120), "2 minutes ago");
  assert.equal(humanizeTime(1000, 1000 + 3600), "1 hour ago");
});
