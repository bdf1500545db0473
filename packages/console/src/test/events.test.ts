import assert from "node:assert/strict";
import { test } from "node:test";
import type { EngineEvent, StepEventMetadata, StepOp } from "@stackyard/protocol";
import { eventLines, eventLog } from "../app/events.js";

const URN = "urn:pulumi:dev::web::random:index/randomString:RandomString::alpha";
const T = 1767225600; // 2026-01-01T00:00:00Z

function meta(op: StepOp, extra: Partial<StepEventMetadata> = {}): StepEventMetadata {
  return { op, urn: URN, type: "random:index/randomString:RandomString", old: null, new: null, detailedDiff: null, provider: "", ...extra };
}

const ev = (sequence: number, body: Omit<EngineEvent, "sequence" | "timestamp">): EngineEvent => ({ sequence, timestamp: T + sequence, ...body }) as EngineEvent;

test("steps read like the CLI's progress: present tense at start, past tense at the end", () => {
  assert.deepEqual(eventLines(ev(1, { resourcePreEvent: { metadata: meta("create") } })), [
    { sequence: 1, time: "00:00:01", level: "step", urn: URN, text: "+ random:index/randomString:RandomString alpha creating" },
  ]);
  assert.equal(eventLines(ev(2, { resOutputsEvent: { metadata: meta("create") } }))[0]!.text, "+ random:index/randomString:RandomString alpha created");
  assert.equal(eventLines(ev(2, { resOutputsEvent: { metadata: meta("update") } }))[0]!.level, "ok");
  assert.equal(eventLines(ev(3, { resOpFailedEvent: { metadata: meta("delete"), status: 1, steps: 0 } }))[0]!.text, "random:index/randomString:RandomString alpha deleting failed");
  // Unchanged resources are not news; a logical same-step (the program registered it) is shown once.
  assert.deepEqual(eventLines(ev(4, { resourcePreEvent: { metadata: meta("same") } })), []);
  assert.equal(eventLines(ev(4, { resourcePreEvent: { metadata: meta("same", { logical: true }) } }))[0]!.text, "random:index/randomString:RandomString alpha unchanged");
  assert.deepEqual(eventLines(ev(5, { resOutputsEvent: { metadata: meta("same", { logical: true }) } })), []);
});

test("diagnostics keep their severity, lose colour markup and trailing newlines; debug is opt-in", () => {
  const diag = (severity: "info" | "warning" | "error" | "debug", message: string) => ev(6, { diagnosticEvent: { message, color: "raw", severity } });
  assert.deepEqual(eventLines(diag("info", "hello\n")).map((l) => [l.level, l.text]), [["info", "hello"]]);
  assert.equal(eventLines(diag("error", "<{%fg 1%}>boom<{%reset%}>\n"))[0]!.text, "boom");
  assert.equal(eventLines(diag("warning", "careful"))[0]!.level, "warning");
  assert.deepEqual(eventLines(diag("debug", "noise")), []);
  assert.equal(eventLines(diag("debug", "noise"), { showDebug: true })[0]!.level, "debug");
  assert.deepEqual(eventLines(diag("info", "\n")), []);
});

test("summary, prelude, stdout, cancel and error events; progress is skipped", () => {
  const summary = eventLines(ev(9, { summaryEvent: { maybeCorrupt: false, durationSeconds: 3, resourceChanges: { create: 2, same: 1 }, PolicyPacks: {}, isPreview: false, result: "succeeded" } }));
  assert.deepEqual(summary.map((l) => [l.level, l.text]), [["ok", "Update succeeded: 2 created, 1 unchanged; duration 3s"]]);
  const failed = eventLines(ev(9, { summaryEvent: { maybeCorrupt: false, durationSeconds: 1, resourceChanges: {}, PolicyPacks: {}, isPreview: true, result: "failed" } }));
  assert.deepEqual(failed.map((l) => [l.level, l.text]), [["error", "Preview failed: no changes; duration 1s"]]);
  assert.equal(eventLines(ev(0, { preludeEvent: { config: { "web:b": "1", "web:a": "2" } } }))[0]!.text, "Configuration: web:a, web:b");
  assert.equal(eventLines(ev(0, { preludeEvent: { config: {} } }))[0]!.text, "Starting");
  assert.equal(eventLines(ev(7, { stdoutEvent: { message: "out\n", color: "raw" } }))[0]!.text, "out");
  assert.equal(eventLines(ev(8, { cancelEvent: {} }))[0]!.level, "warning");
  assert.equal(eventLines(ev(8, { errorEvent: { error: "bad" } }))[0]!.text, "bad");
  assert.deepEqual(eventLines(ev(8, { progressEvent: { type: "plugin-download", id: "x", message: "m", received: 1, total: 2, done: false } })), []);
});

test("eventLog orders by sequence whatever order pages arrived in", () => {
  const lines = eventLog([
    ev(2, { stdoutEvent: { message: "second", color: "raw" } }),
    ev(1, { stdoutEvent: { message: "first", color: "raw" } }),
  ]);
  assert.deepEqual(lines.map((l) => l.text), ["first", "second"]);
});
