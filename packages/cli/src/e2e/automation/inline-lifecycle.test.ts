/**
 * An inline program's whole life through `LocalWorkspace.createOrSelectStack({ program })`: config
 * and secrets, preview, up with onOutput/onEvent (the event stream), outputs and summary, a no-op up,
 * drift found by previewRefresh/refresh, an update with replacement, history, previewDestroy and
 * destroy with `remove: true`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, type EngineEvent, type Stack } from "@pulumi/pulumi/automation/index.js";
import { File } from "./inline-file.js";
import { describeOnBackends, eventKind, streamProblems } from "./support.js";

const PROJECT = "inline-life";

/** The program's shape is chosen by `variant` so one workspace can run successive versions. */
function makeProgram(cloud: string, variant: { content: string; kind: string }) {
  return async () => {
    const config = new pulumi.Config();
    const greeting = config.require("greeting");
    const password = config.requireSecret("password");
    const index = new File("index", { dir: cloud, content: `${greeting}: ${variant.content}` });
    const logo = new File("logo", { dir: cloud, content: "logo", kind: variant.kind });
    pulumi.log.info(`program ran for ${pulumi.getStack()}`);
    return { indexId: index.id, size: index.size, logoKind: logo.id.apply(() => variant.kind), password, nested: { greeting } };
  };
}

function kinds(events: EngineEvent[]): string[] {
  return events.map(eventKind);
}

await describeOnBackends("inline program lifecycle", (sb) => {
  const cloud = sb.dir("cloud");
  const variant = { content: "v1", kind: "a" };
  let stack: Stack;

  test("createOrSelectStack, config with secrets, preview's changeSummary", async () => {
    stack = await LocalWorkspace.createOrSelectStack({ stackName: sb.stackName(PROJECT, "dev"), projectName: PROJECT, program: makeProgram(cloud, variant) }, sb.options());
    assert.equal(stack.name, sb.stackName(PROJECT, "dev"));
    await stack.setConfig("greeting", { value: "hello" });
    await stack.setConfig("password", { value: "pa55word", secret: true });
    assert.deepEqual(await stack.getAllConfig(), {
      [`${PROJECT}:greeting`]: { value: "hello", secret: false },
      [`${PROJECT}:password`]: { value: "pa55word", secret: true },
    });
    const preview = await stack.preview();
    assert.deepEqual(preview.changeSummary, { create: 3 });
    assert.match(preview.stdout, /Previewing update \((?:[\w-]+\/)?dev\)/);
    assert.equal(readdirSync(cloud).length, 0, "a preview creates nothing");
  });

  test("up: onOutput shows the human display, onEvent the full stream, the result has outputs and a summary", async () => {
    const output: string[] = [];
    const events: EngineEvent[] = [];
    const result = await stack.up({ onOutput: (s) => output.push(s), onEvent: (e) => events.push(e), message: "first deploy" });
    // The stream is complete when `up` resolves.
    assert.deepEqual(streamProblems(events), []);
    const seen = new Set(kinds(events));
    for (const kind of ["preludeEvent", "resourcePreEvent", "resOutputsEvent", "diagnosticEvent", "summaryEvent", "cancelEvent"]) assert.ok(seen.has(kind), `missing ${kind}: ${[...seen].join(",")}`);
    assert.equal(kinds(events)[0], "preludeEvent");
    assert.deepEqual(events[0]!.preludeEvent!.config, { [`${PROJECT}:greeting`]: "hello", [`${PROJECT}:password`]: "[secret]" });
    // `result` and `isPreview` are on the wire (engine-protocol §6.3) though the SDK's type omits them.
    const summary = events.find((e) => e.summaryEvent)!.summaryEvent! as NonNullable<EngineEvent["summaryEvent"]> & { result?: string; isPreview?: boolean };
    assert.deepEqual(summary.resourceChanges, { create: 3 });
    assert.equal(summary.result, "succeeded");
    assert.equal(summary.isPreview, false);
    assert.ok(Number.isInteger(summary.durationSeconds));
    const creates = events.filter((e) => e.resOutputsEvent?.metadata.op === "create").map((e) => e.resOutputsEvent!.metadata.type);
    assert.ok(creates.includes("pulumi-nodejs:dynamic:Resource"));
    const info = events.find((e) => e.diagnosticEvent?.message.includes("program ran for dev"));
    assert.ok(info, "pulumi.log.info arrives as a diagnostic event");
    // Secrets are blinded in event metadata.
    assert.ok(!JSON.stringify(events).includes("pa55word"), "a secret leaked into the event stream");

    const text = output.join("");
    assert.match(text, /Updating \((?:[\w-]+\/)?dev\)/);
    assert.match(text, /\+ 3 created/);
    assert.match(text, /Outputs:/);

    assert.equal(result.summary.kind, "update");
    assert.equal(result.summary.result, "succeeded");
    assert.equal(result.summary.message, "first deploy");
    assert.deepEqual(result.summary.resourceChanges, { create: 3 });
    assert.ok(result.summary.startTime instanceof Date && !Number.isNaN(result.summary.startTime.getTime()));
    assert.equal(result.summary.environment["exec.kind"], "auto.inline");
    assert.deepEqual(result.summary.config[`${PROJECT}:password`], { value: "pa55word", secret: true });
    assert.equal(result.outputs["size"]!.value, "hello: v1".length);
    assert.deepEqual(result.outputs["password"], { value: "pa55word", secret: true });
    assert.deepEqual(result.outputs["nested"], { value: { greeting: "hello" }, secret: false });
    assert.equal(readdirSync(cloud).length, 2);
    assert.deepEqual(await stack.outputs(), result.outputs);
  });

  test("a second up changes nothing; drift shows in previewRefresh and refresh", async () => {
    const again = await stack.up();
    assert.deepEqual(again.summary.resourceChanges, { same: 3 });
    const indexId = (await stack.outputs())["indexId"]!.value as string;
    writeFileSync(join(cloud, `${indexId}.json`), JSON.stringify({ content: "changed behind pulumi's back" }));
    const previewRefresh = await stack.previewRefresh();
    assert.deepEqual(previewRefresh.changeSummary, { same: 2, update: 1 });
    const refreshEvents: EngineEvent[] = [];
    const refreshed = await stack.refresh({ onEvent: (e) => refreshEvents.push(e) });
    assert.deepEqual(streamProblems(refreshEvents), []);
    assert.equal(refreshed.summary.kind, "refresh");
    assert.deepEqual(refreshed.summary.resourceChanges, { same: 2, update: 1 });
    // The next up puts the program's content back.
    const fixed = await stack.up();
    assert.deepEqual(fixed.summary.resourceChanges, { same: 2, update: 1 });
    assert.equal(JSON.parse(readFileSync(join(cloud, `${indexId}.json`), "utf8")).content, "hello: v1");
  });

  test("a new program version: update in place and replacement, seen in preview and up", async () => {
    variant.content = "v2";
    variant.kind = "b";
    const preview = await stack.preview({ diff: true });
    assert.deepEqual(preview.changeSummary, { same: 1, update: 1, replace: 1 });
    const events: EngineEvent[] = [];
    const up = await stack.up({ onEvent: (e) => events.push(e) });
    assert.deepEqual(up.summary.resourceChanges, { same: 1, update: 1, replace: 1 });
    const ops = events.filter((e) => e.resOutputsEvent).map((e) => e.resOutputsEvent!.metadata.op);
    assert.ok(ops.indexOf("create-replacement") < ops.indexOf("delete-replaced"), `order: ${ops.join(",")}`);
    assert.equal(up.outputs["size"]!.value, "hello: v2".length);
    assert.equal(up.outputs["logoKind"]!.value, "b");
  });

  test("history pages newest first with summaries", async () => {
    const history = await stack.history();
    assert.deepEqual(history.map((h) => h.kind), ["update", "update", "refresh", "update", "update"]);
    assert.ok(history.every((h) => h.result === "succeeded"));
    assert.deepEqual(history[0]!.resourceChanges, { same: 1, update: 1, replace: 1 });
    assert.equal(history.at(-1)!.message, "first deploy");
    const page = await stack.history(2, 2);
    assert.deepEqual(page.map((h) => h.kind), ["refresh", "update"]);
    const info = await stack.info();
    assert.deepEqual(info?.resourceChanges, history[0]!.resourceChanges);
  });

  test("previewDestroy, then destroy with remove: true deletes resources and the stack", async () => {
    const preview = await stack.previewDestroy();
    assert.deepEqual(preview.changeSummary, { delete: 3 });
    assert.equal(readdirSync(cloud).length, 2, "previewDestroy deletes nothing");
    const events: EngineEvent[] = [];
    const destroyed = await stack.destroy({ remove: true, onEvent: (e) => events.push(e) });
    assert.deepEqual(streamProblems(events), []);
    assert.equal(destroyed.summary.kind, "destroy");
    assert.deepEqual(destroyed.summary.resourceChanges, { delete: 3 });
    assert.equal(readdirSync(cloud).length, 0);
    const names = (await stack.workspace.listStacks()).map((s) => s.name);
    assert.ok(!names.includes("dev") && !names.includes(stack.name), `stack still listed: ${names.join(",")}`);
  });
});
