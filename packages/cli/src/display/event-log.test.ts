import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { EngineEvent, EngineEventBody } from "@stackyard/protocol";
import { openEventLog } from "./event-log.js";
import { cleanEvent, createStamper } from "./convert.js";
import { colorize, resolveColorMode, stripAnsi } from "./colors.js";
import * as f from "./test-fixtures.js";

const require = createRequire(import.meta.url);

function operation(): EngineEventBody[] {
  const stack = f.meta("create", f.STACK_URN, "pulumi:pulumi:Stack", null, f.state(f.STACK_URN, "pulumi:pulumi:Stack"));
  const provider = f.meta("create", f.PROVIDER_URN, "pulumi:providers:random", null, f.state(f.PROVIDER_URN, "pulumi:providers:random"));
  return [
    f.prelude({ "proj:greeting": "hi" }),
    f.pre(stack),
    f.pre(provider),
    f.outs(provider),
    { diagnosticEvent: { urn: f.STACK_URN, prefix: "<{%fg 1%}>error: <{%reset%}>", message: "<{%reset%}>\x1b[31mboom\x1b[0m<{%reset%}>\n", color: "raw", severity: "error" } },
    { stdoutEvent: { message: "<{%fg 2%}>hi<{%reset%}>", color: "raw" } },
    f.outs(stack),
    f.summary({ create: 1 }, false, 1),
    f.cancel,
  ];
}

const tmp = (): string => mkdtempSync(join(tmpdir(), "stackyard-eventlog-"));

test("stamper numbers events from 0 in steps of 1 with whole Unix seconds", () => {
  let now = 1_700_000_000_999;
  const stamp = createStamper(() => now);
  const a = stamp(f.cancel);
  now += 1500;
  const b = stamp(f.prelude());
  assert.equal(a.sequence, 0);
  assert.equal(b.sequence, 1);
  assert.equal(a.timestamp, 1_700_000_000);
  assert.equal(b.timestamp, 1_700_000_002);
  assert.deepEqual(Object.keys(b), ["sequence", "timestamp", "preludeEvent"]);
});

test("file event log: truncates, one JSON line per event, sequence 0..n, cancelEvent last, internal events kept", async () => {
  const path = join(tmp(), "eventlog.txt");
  writeFileSync(path, "stale content that must disappear\n");
  const log = await openEventLog(path, "raw");
  const events = operation();
  for (const e of events) log.write(e);
  log.write(f.prelude()); // after cancelEvent: ignored
  await log.close();

  const text = readFileSync(path, "utf8");
  assert.ok(text.endsWith("\n"));
  const lines = text.trimEnd().split("\n").map((l) => JSON.parse(l) as EngineEvent);
  assert.equal(lines.length, events.length);
  lines.forEach((e, i) => {
    assert.equal(e.sequence, i);
    assert.ok(Number.isInteger(e.timestamp));
    assert.ok(Math.abs(e.timestamp - Date.now() / 1000) < 60);
  });
  assert.deepEqual(lines[lines.length - 1], { sequence: events.length - 1, timestamp: lines[lines.length - 1]!.timestamp, cancelEvent: {} });
  assert.ok(lines.some((e) => e.resourcePreEvent?.metadata.urn === f.PROVIDER_URN), "default-provider steps are logged");
  // raw colour keeps directives but never raw ANSI escapes.
  const d = lines.find((e) => e.diagnosticEvent)!.diagnosticEvent!;
  assert.equal(d.message, "<{%reset%}>boom<{%reset%}>\n");
  assert.equal(d.prefix, "<{%fg 1%}>error: <{%reset%}>");
  assert.equal(d.color, "raw");
});

test("file event log with --color never strips directives and marks color never", async () => {
  const path = join(tmp(), "eventlog.txt");
  const log = await openEventLog(path, "never");
  for (const e of operation()) log.write(e);
  await log.close();
  const lines = readFileSync(path, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l) as EngineEvent);
  const d = lines.find((e) => e.diagnosticEvent)!.diagnosticEvent!;
  assert.deepEqual([d.message, d.prefix, d.color], ["boom\n", "error: ", "never"]);
  const s = lines.find((e) => e.stdoutEvent)!.stdoutEvent!;
  assert.deepEqual(s, { message: "hi", color: "never" });
  assert.doesNotMatch(readFileSync(path, "utf8"), /<\{%|\\u001b/);
});

test("cleanEvent leaves non-text events untouched and does not mutate its input", () => {
  const stamp = createStamper(() => 0);
  const input = stamp({ diagnosticEvent: { message: "\x1b[1mx\x1b[K", prefix: "<{%bold%}>p", color: "raw", severity: "info" } });
  const out = cleanEvent(input, "never");
  assert.equal(out.diagnosticEvent!.message, "x");
  assert.equal(input.diagnosticEvent!.message, "\x1b[1mx\x1b[K");
  const summary = stamp(f.summary({ same: 1 }, true));
  assert.equal(cleanEvent(summary, "never"), summary);
});

test("gRPC event log: exactly one StreamEvents stream, one message per event, reply awaited on close", async () => {
  const grpc = await import("@grpc/grpc-js");
  const services = require("@pulumi/pulumi/proto/events_grpc_pb.js") as { EventsService: import("@grpc/grpc-js").ServiceDefinition };
  const { Empty } = require("google-protobuf/google/protobuf/empty_pb.js") as { Empty: new () => unknown };
  const received: string[] = [];
  let streams = 0;
  let ended = false;
  const server = new grpc.Server();
  server.addService(services.EventsService, {
    streamEvents(call: import("@grpc/grpc-js").ServerReadableStream<{ getEvent(): string }, unknown>, callback: import("@grpc/grpc-js").sendUnaryData<unknown>) {
      streams++;
      call.on("data", (req) => received.push(req.getEvent()));
      call.on("end", () => {
        ended = true;
        // Reply late: close() must wait for it.
        setTimeout(() => callback(null, new Empty()), 50);
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  try {
    const log = await openEventLog(`tcp://127.0.0.1:${port}`, "never");
    const events = operation();
    for (const e of events) log.write(e);
    await log.close();
    assert.ok(ended, "stream half-closed");
    assert.equal(streams, 1);
    assert.equal(received.length, events.length);
    const parsed = received.map((r) => JSON.parse(r) as EngineEvent);
    parsed.forEach((e, i) => assert.equal(e.sequence, i));
    assert.deepEqual(Object.keys(parsed.at(-1)!), ["sequence", "timestamp", "cancelEvent"]);
    assert.equal(parsed.find((e) => e.diagnosticEvent)!.diagnosticEvent!.color, "never");
  } finally {
    server.forceShutdown();
  }
});

test("gRPC event log to a dead address reports the error and still closes", async () => {
  const errors: Error[] = [];
  const log = await openEventLog("tcp://127.0.0.1:1", "raw", { onError: (e) => errors.push(e) });
  log.write(f.cancel);
  await log.close();
  assert.ok(errors.length >= 1);
});

test("loading the display modules does not load @grpc/grpc-js", () => {
  const index = join(fileURLToPath(new URL(".", import.meta.url)), "index.js");
  const script = `await import(${JSON.stringify(index)});
    const { createRequire } = await import("node:module");
    const r = createRequire(import.meta.url);
    console.log(Object.keys(r.cache).some((k) => k.includes("grpc-js")) ? "loaded" : "lazy");`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  assert.equal(out.trim(), "lazy");
});

test("colour helpers", () => {
  assert.equal(colorize("<{%fg 1%}>red<{%reset%}>", "always"), "\x1b[38;5;1mred\x1b[0m");
  assert.equal(colorize("<{%bold%}>b<{%reset%}>", "never"), "b");
  assert.equal(colorize("<{%bold%}>b", "raw"), "<{%bold%}>b");
  assert.equal(colorize("a<{%fg 1", "never"), "a");
  assert.equal(stripAnsi("\x1b[31mx\x1b[0m\x1b[K"), "x");
  assert.equal(resolveColorMode("auto", true, {}), "always");
  assert.equal(resolveColorMode("auto", true, { NO_COLOR: "1" }), "never");
  assert.equal(resolveColorMode("auto", true, { NO_COLOR: "" }), "never");
  assert.equal(resolveColorMode(undefined, false, {}), "never");
  assert.equal(resolveColorMode("raw", false, {}), "raw");
});

test("logged diagnostics keep the Go field set: no empty urn/prefix, no stream id, no false ephemeral", () => {
  const stamp = createStamper(() => 0);
  const out = cleanEvent(
    stamp({ diagnosticEvent: { urn: "", prefix: "", message: "m", color: "raw", severity: "info", streamID: 7, ephemeral: false } }),
    "raw",
  );
  assert.deepEqual(out.diagnosticEvent, { message: "m", color: "raw", severity: "info" });
  assert.deepEqual(Object.keys(cleanEvent(stamp(f.diag("x", "warning", f.STACK_URN, true)), "raw").diagnosticEvent!), [
    "urn", "prefix", "message", "color", "severity", "ephemeral",
  ]);
});
