/**
 * What goes wrong, seen through the Automation API: a failing resource (resOpFailedEvent and an
 * error diagnostic in the stream, onOutput, a rejected `up`), inline programs that throw or reject
 * (a clear error, no hang, the stack still usable), the typed errors (StackNotFoundError,
 * StackAlreadyExistsError, ConcurrentUpdateError), cancelling through an AbortSignal (SIGINT to the
 * CLI), and `stack.cancel()` while an update holds the stack.
 *
 * Failing programs run out of this process: as a local program (workDir), or for inline programs in
 * a child process (inline-failure-child.ts), so their leftover rejected promises cannot be blamed on
 * another test by Node's test runner.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  CommandError,
  ConcurrentUpdateError,
  LocalWorkspace,
  StackAlreadyExistsError,
  StackNotFoundError,
  type EngineEvent,
  type Stack,
} from "@pulumi/pulumi/automation/index.js";
import { REPO_ROOT, describeOnBackends, eventKind, streamProblems, writeLocalProgram } from "./support.js";

const PROJECT = "errors";

/** `mode` (config) picks what the program does on each run. */
const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { File } = require("./file-provider");
const config = new pulumi.Config();
const cloud = config.require("cloud");
const mode = config.get("mode") || "ok";
const good = new File("good", { dir: cloud, content: "fine" });
console.log("hello from the program's console.log");
pulumi.log.warn("a warning from the program");
if (mode === "failResource") new File("broken", { dir: cloud, content: "x", failCreate: "the cloud said no" });
// Slow creates, one after the other, leave time to interrupt the update.
if (mode === "slow") {
  let prev = good;
  for (let i = 0; i < 4; i++) prev = new File("slow-" + i, { dir: cloud, content: "s" + i, sleepMs: 700 }, { dependsOn: [prev] });
}
exports.goodId = good.id;
`;

async function waitFor(condition: () => boolean, what: string, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

await describeOnBackends("errors, events and cancellation", (sb) => {
  const cloud = sb.dir("cloud");
  const workDir = sb.dir("program");
  writeLocalProgram(workDir, PROJECT, { "index.js": PROGRAM });
  let stack: Stack;

  test("typed errors: StackNotFoundError, StackAlreadyExistsError", async () => {
    const args = { stackName: sb.stackName(PROJECT, "dev"), workDir };
    await assert.rejects(LocalWorkspace.selectStack(args, sb.options()), StackNotFoundError);
    stack = await LocalWorkspace.createStack(args, sb.options());
    await assert.rejects(LocalWorkspace.createStack(args, sb.options()), (err: unknown) => {
      assert.ok(err instanceof StackAlreadyExistsError, `got ${String(err)}`);
      assert.match(err.message, /already exists/);
      return true;
    });
    await stack.setAllConfig({ cloud: { value: cloud }, mode: { value: "ok" } });
  });

  test("a failing resource: resOpFailedEvent, error diagnostic, rejected up; the good resource is kept", async () => {
    await stack.setConfig("mode", { value: "failResource" });
    const events: EngineEvent[] = [];
    const output: string[] = [];
    const err = await stack.up({ onEvent: (e) => events.push(e), onOutput: (s) => output.push(s) }).then(
      () => assert.fail("up succeeded"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof CommandError && !(err instanceof ConcurrentUpdateError), String(err));
    assert.match(String(err), /the cloud said no/);
    assert.deepEqual(streamProblems(events), []);
    const failed = events.filter((e) => e.resOpFailedEvent);
    assert.equal(failed.length, 1);
    assert.match(failed[0]!.resOpFailedEvent!.metadata.urn, /::broken$/);
    const diagnostics = events.filter((e) => e.diagnosticEvent).map((e) => e.diagnosticEvent!);
    assert.ok(diagnostics.some((d) => d.severity === "error" && d.message.includes("the cloud said no")), JSON.stringify(diagnostics));
    assert.ok(diagnostics.some((d) => d.severity === "warning" && d.message.includes("a warning from the program")));
    // A local program's console output reaches the stream as info diagnostics of the stack.
    const log = diagnostics.find((d) => d.message.includes("hello from the program's console.log"));
    assert.ok(log, "console.log reaches the stream");
    assert.match(log.urn ?? "", /pulumi:pulumi:Stack/);
    const summary = events.find((e) => e.summaryEvent)!.summaryEvent! as { result?: string };
    assert.equal(summary.result, "failed");
    assert.match(output.join(""), /the cloud said no/);
    // The resource that succeeded is in the state; the history records the failure.
    const [last] = await stack.history(1, 1);
    assert.equal(last!.result, "failed");
    assert.equal(readdirSync(cloud).length, 1);
    await stack.setConfig("mode", { value: "ok" });
    const fixed = await stack.up();
    assert.deepEqual(fixed.summary.resourceChanges, { same: 2 });
  });

  test("inline programs that throw or reject: a clear error, no hang, and the stack is still usable", async () => {
    const child = join(dirname(fileURLToPath(import.meta.url)), "inline-failure-child.js");
    const options = JSON.stringify({ envVars: sb.envVars });
    const { stdout } = await promisify(execFile)(process.execPath, [child, sb.stackName("inline-errors", "dev"), "inline-errors", options, REPO_ROOT], {
      timeout: 120_000,
    });
    const report = JSON.parse(stdout.trim().split("\n").at(-1)!) as { thrown: string; rejected: string; result: string; outputs: Record<string, { value: unknown }>; history: string[] };
    assert.match(report.thrown, /^CommandError: /);
    assert.match(report.thrown, /the program threw: bad input/);
    assert.match(report.rejected, /the program rejected: async failure/);
    assert.equal(report.result, "succeeded");
    assert.equal(report.outputs["word"]!.value, "hi");
    assert.deepEqual(report.history, ["succeeded", "failed"]);
  });

  test("two updates of one stack at once: the second gets ConcurrentUpdateError", async () => {
    await stack.setConfig("mode", { value: "slow" });
    const events: EngineEvent[] = [];
    const first = stack.up({ onEvent: (e) => events.push(e) });
    await waitFor(() => events.some((e) => e.resourcePreEvent), "the first update to start");
    await assert.rejects(stack.up(), (err: unknown) => {
      assert.ok(err instanceof ConcurrentUpdateError, `got ${String(err)}`);
      return true;
    });
    const done = await first;
    assert.deepEqual(done.summary.resourceChanges, { same: 2, create: 4 });
  });

  test("an AbortSignal interrupts an update; the state stays consistent and the next up finishes the job", async () => {
    await stack.destroy();
    const abort = new AbortController();
    const events: EngineEvent[] = [];
    const running = stack.up({ signal: abort.signal, onEvent: (e) => events.push(e) });
    await waitFor(() => events.some((e) => e.resOutputsEvent?.metadata.urn.endsWith("::slow-0")), "the first slow resource");
    abort.abort();
    await assert.rejects(running);
    await waitFor(() => events.some((e) => e.cancelEvent), "the stream to end");
    assert.deepEqual(streamProblems(events), []);
    // Like Pulumi, the CLI announces the interrupt in the stream.
    assert.ok(events.some((e) => e.stdoutEvent?.message.includes("^C received; cancelling")), "no stdoutEvent for the interrupt");
    assert.ok(!events.some((e) => e.resOutputsEvent?.metadata.urn.endsWith("::slow-3")), "the update ran to the end");
    const [last] = await stack.history(1, 1);
    assert.notEqual(last!.result, "succeeded");
    // Whatever was created is in the state; nothing is left locked or pending.
    const up = await stack.up();
    assert.equal(up.summary.result, "succeeded");
    const changes = up.summary.resourceChanges ?? {};
    assert.ok((changes["create"] ?? 0) >= 1, JSON.stringify(changes));
    assert.equal((changes["create"] ?? 0) + (changes["same"] ?? 0), 6, JSON.stringify(changes));
    assert.equal(readdirSync(cloud).length, 5);
  });

  test("stack.cancel() while an update holds the stack; afterwards the stack takes updates again", async () => {
    await stack.destroy();
    const events: EngineEvent[] = [];
    const running = stack.up({ onEvent: (e) => events.push(e) }).then(
      (r) => r.summary.result,
      (e: unknown) => `rejected: ${String(e).split("\n")[0]}`,
    );
    await waitFor(() => events.some((e) => e.resourcePreEvent), "the update to start");
    await stack.cancel();
    await running;
    const up = await stack.up();
    assert.equal(up.summary.result, "succeeded");
    assert.equal(readdirSync(cloud).length, 5);
    assert.equal(eventKind(events[0]!), "preludeEvent");
    await stack.destroy({ remove: true });
  });
});
