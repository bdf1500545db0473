import { test } from "node:test";
import assert from "node:assert/strict";
import type { EngineEventBody } from "@stackyard/protocol";
import { type DisplayOptions, createDisplay } from "./display.js";
import { formatDuration, renderHeader, renderSummary } from "./summary.js";
import { stripDirectives } from "./colors.js";
import { typeDisplayName } from "./urn.js";
import * as f from "./test-fixtures.js";

const STACK = "pulumi:pulumi:Stack";
const RS = "random:index/randomString:RandomString";
const PET = "random:index/randomPet:RandomPet";

function render(events: EngineEventBody[], o: Partial<DisplayOptions> & { between?: () => void } = {}): string {
  let out = "";
  const d = createDisplay({
    kind: "update",
    stackName: "dev",
    projectName: "proj",
    isPreview: false,
    color: "never",
    showDiff: false,
    json: false,
    suppressTimings: true,
    write: (s) => (out += s),
    ...o,
  });
  for (const e of events) {
    d.onEvent(e);
    o.between?.();
  }
  return out;
}

const stackMeta = (op: "create" | "same" | "delete", outputs: Record<string, unknown> = {}, oldOutputs?: Record<string, unknown>) =>
  f.meta(
    op,
    f.STACK_URN,
    STACK,
    oldOutputs ? f.state(f.STACK_URN, STACK, { outputs: oldOutputs }) : null,
    op === "delete" ? null : f.state(f.STACK_URN, STACK, { outputs }),
  );

const provider = f.meta("create", f.PROVIDER_URN, "pulumi:providers:random", null, f.state(f.PROVIDER_URN, "pulumi:providers:random"));

function createRun(isPreview: boolean): EngineEventBody[] {
  const rUrn = f.urnOf(RS, "s");
  const r = f.meta("create", rUrn, RS, null, f.state(rUrn, RS, { parent: f.STACK_URN, inputs: { length: 8 }, outputs: isPreview ? {} : { length: 8, result: "abcdefgh" } }));
  return [
    f.prelude(),
    f.pre(stackMeta("create"), isPreview),
    f.pre(provider, isPreview),
    f.outs(provider, isPreview),
    f.pre(r, isPreview),
    f.outs(r, isPreview),
    f.outs(stackMeta("create", { name: isPreview ? "04da6b54-80e4-46f7-96ec-b56ff0331ba9" : "abcdefgh" }), isPreview),
    f.summary({ create: 2 }, isPreview, 3),
    f.cancel,
  ];
}

test("update of a new stack: progress lines, outputs, summary and duration", () => {
  assert.equal(
    render(createRun(false)),
    [
      "Updating (dev):",
      "",
      " +  pulumi:pulumi:Stack proj-dev creating ",
      " +  random:index:RandomString s creating ",
      " +  random:index:RandomString s created ",
      " +  pulumi:pulumi:Stack proj-dev created ",
      "Outputs:",
      '    name: "abcdefgh"',
      "",
      "Resources:",
      "    + 2 created",
      "",
      "Duration: 3s",
      "",
      "",
    ].join("\n"),
  );
});

test("preview of the same program uses plan wording and no duration", () => {
  assert.equal(
    render(createRun(true), { isPreview: true, kind: "preview" }),
    [
      "Previewing update (dev):",
      "",
      " +  pulumi:pulumi:Stack proj-dev create ",
      " +  random:index:RandomString s create ",
      " +  pulumi:pulumi:Stack proj-dev create ",
      "Outputs:",
      "    name: [unknown]",
      "",
      "Resources:",
      "    + 2 to create",
      "",
      "",
    ].join("\n"),
  );
});

test("elapsed and completed timings follow the clock", () => {
  const clk = f.clock();
  const out = render(createRun(false), { suppressTimings: false, now: clk.now, between: () => clk.advance(400) });
  assert.match(out, / \+  random:index:RandomString s creating \(0s\) \n/);
  assert.match(out, / \+  random:index:RandomString s created \(0\.40s\) \n/);
  // The stack runs from its first event until the end: 7 events later at 400ms each.
  assert.match(out, / \+  pulumi:pulumi:Stack proj-dev created \(2s\) \n/);
});

test("internal default-provider steps never show", () => {
  const out = render(createRun(false));
  assert.doesNotMatch(out, /providers/);
});

test("update, replace (create-before-delete) and delete steps, with short diffs", () => {
  const petUrn = f.urnOf(PET, "p");
  const petOld = f.state(petUrn, PET, { parent: f.STACK_URN, id: "p1", inputs: { length: 2 }, outputs: { length: 2 } });
  const petNew = f.state(petUrn, PET, { parent: f.STACK_URN, id: "p1", inputs: { length: 3 }, outputs: { length: 3 } });
  const upd = f.meta("update", petUrn, PET, petOld, petNew, { diffs: ["length"] });
  const sUrn = f.urnOf(RS, "s");
  const sOld = f.state(sUrn, RS, { parent: f.STACK_URN, id: "s1", inputs: { length: 8 }, outputs: { length: 8 } });
  const sNew = f.state(sUrn, RS, { parent: f.STACK_URN, id: "s2", inputs: { length: 9 }, outputs: { length: 9 } });
  const dk = { keys: ["length"], diffs: ["length"] };
  const cr = f.meta("create-replacement", sUrn, RS, sOld, sNew, dk);
  const rp = f.meta("replace", sUrn, RS, sOld, sNew, { ...dk, logical: true });
  const dr = f.meta("delete-replaced", sUrn, RS, sOld, null, dk);
  const goneUrn = f.urnOf(RS, "gone");
  const del = f.meta("delete", goneUrn, RS, f.state(goneUrn, RS, { parent: f.STACK_URN, id: "g" }), null);
  const out = render([
    f.prelude(),
    f.pre(stackMeta("same")),
    f.pre(upd),
    f.outs(upd),
    f.pre(cr),
    f.outs(cr),
    f.pre(rp),
    f.outs(rp),
    f.outs(stackMeta("same")),
    f.pre(dr),
    f.outs(dr),
    f.pre(del),
    f.outs(del),
    f.summary({ update: 1, replace: 1, delete: 1, same: 1 }, false, 61),
    f.cancel,
  ]);
  assert.equal(
    out,
    [
      "Updating (dev):",
      "",
      " ~  random:index:RandomPet p updating [diff: ~length]",
      " ~  random:index:RandomPet p updated [diff: ~length]",
      " ++ random:index:RandomString s creating replacement [diff: ~length]",
      " ++ random:index:RandomString s created replacement [diff: ~length]",
      " +- random:index:RandomString s replacing [diff: ~length]",
      " +- random:index:RandomString s replaced [diff: ~length]",
      " -- random:index:RandomString s deleting original [diff: ~length]",
      " -- random:index:RandomString s deleted original [diff: ~length]",
      " -  random:index:RandomString gone deleting ",
      " -  random:index:RandomString gone deleted ",
      // The stack row appears once something about it was worth saying (its outputs), unchanged.
      "    pulumi:pulumi:Stack proj-dev  ",
      "Resources:",
      "    ~ 1 updated",
      "    - 1 deleted",
      "    +-1 replaced",
      "    3 changes. 1 unchanged",
      "",
      "Duration: 1m1s",
      "",
      "",
    ].join("\n"),
  );
});

test("a failed create shows the failure, its diagnostics grouped per resource, and the errored count", () => {
  const bUrn = f.urnOf("aws:s3/bucket:Bucket", "b");
  const b = f.meta("create", bUrn, "aws:s3/bucket:Bucket", null, f.state(bUrn, "aws:s3/bucket:Bucket", { parent: f.STACK_URN }));
  const out = render([
    f.prelude(),
    f.pre(stackMeta("create")),
    f.diag("hello from the program", "info", f.STACK_URN),
    f.pre(b),
    f.diag("creating bucket failed: access denied\nsecond line", "error", bUrn),
    f.failed(b),
    f.diag("update failed", "error", f.STACK_URN),
    f.diag("verbose", "debug", f.STACK_URN),
    f.diag("reading something", "info", f.STACK_URN, true),
    f.summary({}, false, 1),
    f.cancel,
  ]);
  assert.equal(
    out,
    [
      "Updating (dev):",
      "",
      " +  pulumi:pulumi:Stack proj-dev creating ",
      " +  pulumi:pulumi:Stack proj-dev creating hello from the program",
      " +  aws:s3:Bucket b creating ",
      " +  aws:s3:Bucket b creating error: creating bucket failed: access denied",
      " +  aws:s3:Bucket b **creating failed** error: creating bucket failed: access denied",
      " +  pulumi:pulumi:Stack proj-dev creating error: update failed",
      " +  pulumi:pulumi:Stack proj-dev creating reading something",
      " +  pulumi:pulumi:Stack proj-dev **creating failed** 1 error; 1 message",
      "Diagnostics:",
      "  pulumi:pulumi:Stack (proj-dev):",
      "    hello from the program",
      "    error: update failed",
      "",
      "  aws:s3:Bucket (b):",
      "    error: creating bucket failed: access denied",
      "    second line",
      "",
      "Resources:",
      "    2 errored",
      "",
      "Duration: 1s",
      "",
      "",
    ].join("\n"),
  );
});

test("stack outputs: secrets are masked, unchanged shown, changes marked", () => {
  const out = render([
    f.prelude(),
    f.pre(stackMeta("same", {}, { keep: "k", old: 1, pw: f.blindedSecret })),
    f.outs(stackMeta("same", { keep: "k", added: [1, "two"], pw: f.blindedSecret, obj: { a: true } }, { keep: "k", old: 1, pw: f.blindedSecret })),
    f.summary({ same: 1 }, false, 0),
    f.cancel,
  ]);
  assert.equal(
    out,
    [
      "Updating (dev):",
      "",
      "    pulumi:pulumi:Stack proj-dev  ",
      "Outputs:",
      "  + added: [",
      "  +     [0]: 1",
      '  +     [1]: "two"',
      "    ]",
      '    keep : "k"',
      "  + obj  : {",
      "      + a: true",
      "    }",
      "  - old  : 1",
      "    pw   : [secret]",
      "",
      "Resources:",
      "    1 unchanged",
      "",
      "Duration: 0s",
      "",
      "",
    ].join("\n"),
  );
});

test("stdout events, --show-config prelude and the heartbeat", () => {
  let out = "";
  const d = createDisplay({
    kind: "refresh", stackName: "dev", projectName: "proj", isPreview: false, color: "never",
    showDiff: false, json: false, showConfig: true, write: (s) => (out += s),
  });
  d.onEvent(f.prelude({ "proj:b": "2", "proj:a": "[secret]" }));
  d.tick();
  d.tick();
  d.onEvent({ stdoutEvent: { message: "<{%fg 3%}>downloading plugin<{%reset%}>", color: "raw" } });
  d.onEvent(f.cancel);
  d.tick();
  assert.equal(
    out,
    "Refreshing (dev):\nConfiguration:\n    proj:a: [secret]\n    proj:b: 2\n\n@ refreshing.....\ndownloading plugin\n    pulumi:pulumi:Stack proj-dev  \n",
  );
});

test("colour: ANSI only when enabled", () => {
  const colored = render(createRun(false), { color: "always" });
  assert.match(colored, /\x1b\[38;5;2m\+ \x1b\[0m/);
  assert.match(colored, /\x1b\[38;5;13m\x1b\[1mResources:\x1b\[0m/);
  const plain = render(createRun(false), { color: "never" });
  assert.doesNotMatch(plain, /\x1b|<\{%/);
  assert.equal(stripDirectives(render(createRun(false), { color: "raw" })), plain);
});

test("--diff shows a property-level diff of inputs, indented under the stack", () => {
  const petUrn = f.urnOf(PET, "p");
  const petOld = f.state(petUrn, PET, { parent: f.STACK_URN, id: "p1", inputs: { length: 2, prefix: "ab", tags: ["x"], gone: "y", __defaults: [] } });
  const petNew = f.state(petUrn, PET, { parent: f.STACK_URN, id: "p1", inputs: { length: 3, prefix: "ac", tags: ["x", "z"], added: true, __defaults: ["q"] } });
  const upd = f.meta("update", petUrn, PET, petOld, petNew);
  const rUrn = f.urnOf(RS, "s");
  const create = f.meta("create", rUrn, RS, null, f.state(rUrn, RS, { parent: f.STACK_URN, inputs: { length: 8, special: false } }));
  let err = "";
  const out = render(
    [f.prelude(), f.pre(stackMeta("same"), true), f.pre(provider, true), f.pre(upd, true), f.pre(create, true), f.diag("careful", "warning", rUrn), f.summary({ update: 1, create: 1, same: 1 }, true, 1), f.cancel],
    { showDiff: true, isPreview: true, kind: "preview", writeErr: (s) => (err += s) },
  );
  assert.equal(
    out,
    [
      "Previewing update (dev):",
      "  pulumi:pulumi:Stack: (same)",
      "    [urn=urn:pulumi:dev::proj::pulumi:pulumi:Stack::proj-dev]",
      "    ~ random:index/randomPet:RandomPet: (update)",
      "        [id=p1]",
      "        [urn=urn:pulumi:dev::proj::random:index/randomPet:RandomPet::p]",
      "      + added : true",
      "      - gone  : \"y\"",
      "      ~ length: 2 => 3",
      '      ~ prefix: "ab" => "ac"',
      "      ~ tags  : [",
      '            [0]: "x"',
      "          + [1]: \"z\"",
      "        ]",
      "    + random:index/randomString:RandomString: (create)",
      "        [urn=urn:pulumi:dev::proj::random:index/randomString:RandomString::s]",
      "        length : 8",
      "        special: false",
      "Resources:",
      "    + 1 to create",
      "    ~ 1 to update",
      "    2 changes. 1 unchanged",
      "",
    ].join("\n"),
  );
  assert.equal(err, "warning: careful\n");
});

test("--diff colours old values as deletes and new values as creates", () => {
  const petUrn = f.urnOf(PET, "p");
  const upd = f.meta("update", petUrn, PET,
    f.state(petUrn, PET, { parent: f.STACK_URN, inputs: { length: 2 } }),
    f.state(petUrn, PET, { parent: f.STACK_URN, inputs: { length: 3 } }));
  const out = render([f.pre(upd, true), f.cancel], { showDiff: true, isPreview: true, color: "raw" });
  assert.match(out, /<\{%fg 1%\}>2<\{%reset%\}><\{%fg 3%\}> => <\{%reset%\}><\{%fg 2%\}>3<\{%reset%\}>/);
});

test("preview --json prints one digest document with the Pulumi shape", () => {
  const rUrn = f.urnOf(RS, "s");
  const upd = f.meta(
    "update", rUrn, RS,
    f.state(rUrn, RS, { parent: f.STACK_URN, id: "s1", inputs: { length: 8, pw: f.blindedSecret }, outputs: { length: 8 } }),
    f.state(rUrn, RS, { parent: f.STACK_URN, id: "s1", inputs: { length: 9, pw: f.blindedSecret } }),
    { diffs: ["length"], detailedDiff: { length: { diffKind: "update", inputDiff: true } }, provider: f.PROVIDER_REF },
  );
  let out = "";
  const d = createDisplay({ kind: "preview", stackName: "dev", projectName: "proj", isPreview: true, color: "always", showDiff: false, json: true, write: (s) => (out += s) });
  for (const e of [
    f.prelude({ "proj:x": "1" }),
    f.pre(stackMeta("same"), true),
    f.pre(provider, true),
    f.pre(upd, true),
    f.diag("<hi>", "warning", rUrn),
    f.diag("hidden", "debug"),
    { stdoutEvent: { message: "<{%bold%}>note<{%reset%}>", color: "raw" } },
    f.summary({ update: 1, same: 1 }, true, 2),
    f.cancel,
  ] as EngineEventBody[]) d.onEvent(e);
  assert.equal(out.split("\n").filter((l) => l.startsWith("{")).length, 1, "exactly one document");
  assert.match(out, /\\u003chi\\u003e/, "HTML-escaped like Go");
  assert.match(out, /^\{\n    "config": \{\n        "proj:x": "1"/);
  const doc = JSON.parse(out) as Record<string, unknown>;
  assert.deepEqual(Object.keys(doc), ["config", "steps", "diagnostics", "duration", "changeSummary"]);
  assert.equal(doc.duration, 2_000_000_000);
  assert.deepEqual(doc.changeSummary, { same: 1, update: 1 });
  const steps = doc.steps as Array<Record<string, unknown>>;
  assert.deepEqual(steps.map((s) => [s.op, s.urn]), [["same", f.STACK_URN], ["update", rUrn]], "internal steps are left out");
  assert.equal(steps[0]!.detailedDiff, null);
  assert.deepEqual(doc.diagnostics, [
    { urn: rUrn, message: "warning: <hi>\n", severity: "warning" },
    { message: "note", severity: "info" },
  ]);

  // Field order and contents of one step, as Go marshals PreviewStep / ResourceV3.
  let out2 = "";
  const d2 = createDisplay({ kind: "preview", stackName: "dev", projectName: "proj", isPreview: true, color: "never", showDiff: false, json: true, write: (s) => (out2 += s) });
  d2.onEvent(f.pre(upd, true));
  d2.onEvent(f.cancel);
  const step = (JSON.parse(out2) as { steps: Array<Record<string, unknown>> }).steps[0]!;
  assert.deepEqual(Object.keys(step), ["op", "urn", "provider", "oldState", "newState", "diffReasons", "detailedDiff"]);
  assert.deepEqual(step.detailedDiff, { length: { kind: "update", inputDiff: true } });
  const oldState = step.oldState as Record<string, unknown>;
  assert.deepEqual(Object.keys(oldState), ["urn", "custom", "id", "type", "inputs", "outputs", "parent"]);
  assert.deepEqual(oldState.inputs, { length: 8, pw: "[secret]" });
});

test("up --json streams stamped JSON lines without internal events", () => {
  let out = "";
  const d = createDisplay({ kind: "update", stackName: "dev", projectName: "proj", isPreview: false, color: "never", showDiff: false, json: true, write: (s) => (out += s) });
  for (const e of createRun(false)) d.onEvent(e);
  const lines = out.trimEnd().split("\n").map((l) => JSON.parse(l) as { sequence: number; cancelEvent?: object });
  assert.equal(lines.length, createRun(false).length - 2);
  assert.deepEqual(lines.map((l) => l.sequence), [0, 1, 4, 5, 6, 7, 8], "sequence numbers count the hidden events");
  assert.ok(lines.at(-1)!.cancelEvent);
  assert.doesNotMatch(out, /Updating|providers:random/);
});

test("summary block: preview vs update wording, change totals", () => {
  const s = (changes: Record<string, number>, isPreview: boolean): string =>
    stripDirectives(renderSummary({ maybeCorrupt: false, durationSeconds: 3725, resourceChanges: changes, PolicyPacks: {}, isPreview }, 0, false));
  assert.equal(s({ create: 3 }, true), "Resources:\n    + 3 to create\n");
  assert.equal(s({ create: 3 }, false), "Resources:\n    + 3 created\n\nDuration: 1h2m5s\n");
  assert.equal(s({ same: 4, read: 2 }, true), "Resources:\n    4 unchanged\n");
  assert.equal(s({ delete: 1, update: 2, same: 1 }, true), "Resources:\n    ~ 2 to update\n    - 1 to delete\n    3 changes. 1 unchanged\n");
  assert.equal(s({ import: 1, refresh: 1 }, false).split("\n").slice(1, 3).join("|"), "    ~ 1 refreshed|    = 1 imported");
});

test("headers and small helpers", () => {
  const h = (kind: DisplayOptions["kind"], p: boolean): string => stripDirectives(renderHeader(kind, p, "org/proj/dev"));
  assert.equal(h("preview", true), "Previewing update (org/proj/dev):\n");
  assert.equal(h("update", false), "Updating (org/proj/dev):\n");
  assert.equal(h("refresh", true), "Previewing refresh (org/proj/dev):\n");
  assert.equal(h("destroy", false), "Destroying (org/proj/dev):\n");
  assert.equal(h("destroy", true), "Previewing destroy (org/proj/dev):\n");
  assert.equal(formatDuration(0), "0s");
  assert.equal(formatDuration(59.2), "1m0s");
  assert.equal(formatDuration(600 + 9), "10m9s");
  assert.equal(typeDisplayName("aws:s3/bucket:Bucket"), "aws:s3:Bucket");
  assert.equal(typeDisplayName("aws:s3/bucketV2:Bucket"), "aws:s3/bucketV2:Bucket");
});

test("destroy: children before parents, components never reprint", () => {
  const compUrn = f.urnOf("my:component:Component", "mycomponent");
  const childUrn = f.urnOf("my:component:Child", "mychild", "my:component:Component");
  const comp = f.state(compUrn, "my:component:Component", { custom: false, parent: f.STACK_URN });
  const child = f.state(childUrn, "my:component:Child", { custom: true, parent: compUrn, id: "c" });
  const delChild = f.meta("delete", childUrn, "my:component:Child", child, null);
  const delComp = f.meta("delete", compUrn, "my:component:Component", comp, null);
  const out = render(
    [f.prelude(), f.pre(delChild), f.outs(delChild), f.pre(delComp), f.outs(delComp), f.pre(stackMeta("delete", {}, {})), f.outs(stackMeta("delete", {}, {})), f.summary({ delete: 3 }, false, 7), f.cancel],
    { kind: "destroy" },
  );
  assert.equal(
    out,
    [
      "Destroying (dev):",
      "",
      " -  my:component:Child mychild deleting ",
      " -  my:component:Child mychild deleted ",
      " -  my:component:Component mycomponent deleting ",
      " -  pulumi:pulumi:Stack proj-dev deleting ",
      // The stand-in stack row made when the first child arrived is settled too (as the Go CLI does).
      "    pulumi:pulumi:Stack proj-dev  ",
      " -  pulumi:pulumi:Stack proj-dev deleted ",
      "Resources:",
      "    - 3 deleted",
      "",
      "Duration: 7s",
      "",
      "",
    ].join("\n"),
  );
});

test("an operation cut short: in-flight custom resources read as interrupted; done() flushes without a cancelEvent", () => {
  const bUrn = f.urnOf("aws:s3/bucket:Bucket", "b");
  const b = f.meta("create", bUrn, "aws:s3/bucket:Bucket", null, f.state(bUrn, "aws:s3/bucket:Bucket", { parent: f.STACK_URN }));
  let out = "";
  const d = createDisplay({ kind: "update", stackName: "dev", projectName: "proj", isPreview: false, color: "never", showDiff: false, json: false, suppressTimings: true, write: (s) => (out += s) });
  for (const e of [f.prelude(), f.pre(stackMeta("create")), f.pre(b)]) d.onEvent(e);
  d.done();
  d.onEvent(f.pre(b)); // after the end: ignored
  assert.equal(
    out,
    [
      "Updating (dev):",
      "",
      " +  pulumi:pulumi:Stack proj-dev creating ",
      " +  aws:s3:Bucket b creating ",
      " +  pulumi:pulumi:Stack proj-dev created ",
      " +  aws:s3:Bucket b creating (interrupted) ",
      "",
    ].join("\n"),
  );
});

test("reads become a transient note on the stack; --show-sames shows unchanged resources", () => {
  const rUrn = f.urnOf("aws:ec2/vpc:Vpc", "default");
  const read = f.meta("read", rUrn, "aws:ec2/vpc:Vpc", null, f.state(rUrn, "aws:ec2/vpc:Vpc", { parent: f.STACK_URN, external: true }));
  const sUrn = f.urnOf(RS, "s");
  const s0 = f.state(sUrn, RS, { parent: f.STACK_URN, inputs: { length: 8 }, outputs: { length: 8 } });
  const same = f.meta("same", sUrn, RS, s0, s0);
  const events = [f.prelude(), f.pre(stackMeta("same")), f.pre(read), f.outs(read), f.pre(same), f.outs(same), f.summary({ same: 2 }, false, 1), f.cancel];
  const plain = render(events);
  assert.equal(
    plain,
    [
      "Updating (dev):",
      "",
      // Once when the read starts, once when it completes.
      "    pulumi:pulumi:Stack proj-dev running read aws:ec2:Vpc default",
      "    pulumi:pulumi:Stack proj-dev running read aws:ec2:Vpc default",
      "    pulumi:pulumi:Stack proj-dev  ",
      "Resources:",
      "    2 unchanged",
      "",
      "Duration: 1s",
      "",
      "",
    ].join("\n"),
  );
  const sames = render(events, { showSames: true });
  assert.match(sames, /\n    random:index:RandomString s  \n/);
});

test("--diff during an update prints outputs under the resource and the stack", () => {
  const rUrn = f.urnOf(RS, "s");
  const created = f.meta("create", rUrn, RS, null, f.state(rUrn, RS, { parent: f.STACK_URN, inputs: { length: 4 }, outputs: { length: 4, result: "abcd" } }));
  const out = render(
    [f.prelude(), f.pre(stackMeta("create")), f.pre({ ...created, new: { ...created.new!, outputs: {} } }), f.outs(created), f.outs(stackMeta("create", { r: "abcd", pw: f.blindedSecret })), f.summary({ create: 2 }, false, 5), f.cancel],
    { showDiff: true },
  );
  assert.equal(
    out,
    [
      "Updating (dev):",
      "+ pulumi:pulumi:Stack: (create)",
      "    [urn=urn:pulumi:dev::proj::pulumi:pulumi:Stack::proj-dev]",
      "    + random:index/randomString:RandomString: (create)",
      "        [urn=urn:pulumi:dev::proj::random:index/randomString:RandomString::s]",
      "        length: 4",
      "        --outputs:--",
      '        result: "abcd"',
      "    --outputs:--",
      "    pw: [secret]",
      '    r : "abcd"',
      "Resources:",
      "    + 2 created",
      "",
      "Duration: 5s",
      "",
    ].join("\n"),
  );
});

test("destroy shows the stack's vanishing outputs", () => {
  const gone = f.meta("delete", f.STACK_URN, STACK, f.state(f.STACK_URN, STACK, { outputs: { name: "abc" } }), null);
  const out = render([f.prelude(), f.pre(gone), f.outs(gone), f.summary({ delete: 1 }, false, 1), f.cancel], { kind: "destroy" });
  assert.match(out, /\nOutputs:\n  - name: "abc"\n\nResources:\n    - 1 deleted\n/);
});

test("policy packs: violations listed per pack; a mandatory one suppresses the Resources summary", () => {
  const bUrn = f.urnOf("aws:s3/bucket:Bucket", "b");
  const violation: EngineEventBody = {
    policyEvent: {
      resourceUrn: bUrn, message: "buckets must be private\n", color: "raw", policyName: "no-public",
      policyPackName: "sec", policyPackVersion: "1.0.0", policyPackVersionTag: "1.0.0", enforcementLevel: "mandatory",
    },
  };
  const summaryWithPacks: EngineEventBody = {
    summaryEvent: { maybeCorrupt: false, durationSeconds: 1, resourceChanges: {}, PolicyPacks: { sec: "1.0.0", ok: "2.0.0" }, isPreview: true },
  };
  const out = render([f.prelude(), violation, summaryWithPacks, f.cancel], { isPreview: true, kind: "preview" });
  assert.equal(
    out,
    [
      "Previewing update (dev):",
      "",
      "    pulumi:pulumi:Stack proj-dev  ",
      "Policies:",
      "    ✅ ok@v2.0.0",
      "    ❌ sec@v1.0.0",
      "        - [mandatory]  no-public  (aws:s3:Bucket: b)",
      "          buckets must be private",
      "",
      "",
    ].join("\n"),
  );
});
