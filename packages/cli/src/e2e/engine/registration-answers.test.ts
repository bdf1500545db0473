/**
 * What the engine answers a program's RegisterResource with, seen from the program's side through
 * the real SDK: the dependencies of a resource's outputs, and the Engine service's answers (logs,
 * version requirement).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { TestProject } from "./support.js";

// `allResources()` is what the SDK passes on as dependencies wherever an output is used as an input.
const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { Thing } = require("./thing");
const a = new Thing("a", { label: "a" });
const b = new Thing("b", { label: "b", value: a.id });
exports.valueDependsOn = pulumi.output(b.value.allResources().then((set) => Promise.all([...set].map((r) => r.urn.promise()))));
`;

let p: TestProject;
before(async () => {
  p = new TestProject("registration-answers", { "index.js": PROGRAM });
  await p.init();
});
after(() => p?.cleanup());

test("a custom resource's outputs depend on that resource alone, as Pulumi's engine answers", async () => {
  await p.up();
  const outputs = JSON.parse((await p.pulumi(["stack", "output", "--json"])).stdout) as { valueDependsOn: string[] };
  // Pulumi's engine returns property dependencies only for remote components; echoing b's input
  // dependency on a would make b.value also depend on a.
  assert.deepEqual(outputs.valueDependsOn, [p.urn("pulumi-nodejs:dynamic:Resource", "b")]);
});

test("the Engine service shows the program's logs and checks its version range", async () => {
  const engine = new TestProject("engine-service", {
    "index.js": `
const pulumi = require("@pulumi/pulumi");
const { Thing } = require("./thing");
pulumi.log.info("an info line: 100% plain");
pulumi.log.warn("a warning — with non-ASCII");
new Thing("a", { label: "a" });
exports.satisfied = pulumi.runtime.requirePulumiVersion(">=3.0.0").then(() => "yes");
exports.unsatisfied = pulumi.runtime.requirePulumiVersion(">=99.0.0").then(() => "no", (err) => err.message);
`,
  });
  try {
    await engine.init();
    const run = await engine.up();
    assert.match(run.stdout, /an info line: 100% plain/);
    assert.match(run.stdout, /warning: a warning — with non-ASCII/);
    const outputs = JSON.parse((await engine.pulumi(["stack", "output", "--json"])).stdout) as Record<string, string>;
    assert.equal(outputs["satisfied"], "yes");
    assert.match(outputs["unsatisfied"] ?? "", /does not satisfy the version range ">=99\.0\.0"/);
  } finally {
    engine.cleanup();
  }
});
