/**
 * The program boots while the CLI unlocks secrets and takes the stack's lock (engine
 * deployment/prelaunch.ts). When the operation then cannot begin, none of the program's own code
 * may have run, and no process of it may be left behind.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Prelaunch } from "@stackyard/engine";
import { TestProject } from "./support.js";

// Every run of the program's own code leaves a line in ran.log.
const program = (extra: string) => `
require("fs").appendFileSync(require("path").join(__dirname, "ran.log"), process.pid + "\\n");
const { Thing } = require("./thing");
new Thing("steady", { label: "steady" });
${extra}
`;

let p: TestProject;
before(async () => {
  p = new TestProject("prelaunch", { "index.js": program("") });
  await p.init();
});
after(() => p?.cleanup());

const runs = () => (existsSync(join(p.dir, "ran.log")) ? readFileSync(join(p.dir, "ran.log"), "utf8").split("\n").filter(Boolean).length : 0);

function previewRequest(): ConstructorParameters<typeof Prelaunch>[0] {
  return {
    kind: "preview",
    dryRun: true,
    identity: { organization: "organization", project: "prelaunch", stack: "dev" },
    program: { kind: "nodejs", rootDirectory: p.dir, programDirectory: p.dir, entryPoint: ".", runtimeOptions: {} },
    config: {},
    options: {},
    pulumiHome: p.home,
  };
}

/** Processes still running with this project's directory on their command line (a program left behind). */
function leftovers(): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
      if (cmdline.includes(p.dir) && cmdline.includes("--monitor")) found.push(`${pid}: ${cmdline}`);
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

test("a prelaunched program waits at its first call to the engine until the operation begins", async () => {
  const started = Date.now();
  await p.pulumi(["preview"]);
  const previewMs = Date.now() - started;
  const before = runs();
  assert.equal(before, 1, "a preview runs the program's code once");

  const prelaunch = new Prelaunch(previewRequest());
  // Twice what a whole preview took: long enough for the program to have run, had it been answered.
  await new Promise((r) => setTimeout(r, Math.max(3000, 2 * previewMs)));
  assert.equal(runs(), before, "the program's code ran before its operation began");
  assert.equal(leftovers().length, 1, "the prelaunched program is running");
  await prelaunch.abandon();
  assert.deepEqual(leftovers(), []);
  assert.equal(runs(), before);
});

test("an operation that begins before its prelaunched program has even started takes it over", async () => {
  // Under load the lock and secrets can be ready before the program's servers are.
  const launched = await new Prelaunch(previewRequest()).take();
  assert.equal(leftovers().length, 1);
  launched.program.stop();
  await launched.services.abandon("test over");
  await launched.program.outcome;
  assert.deepEqual(leftovers(), []);
});

test("a wrong passphrase stops the program before any of its own code runs", async () => {
  const before = runs();
  const run = await p.pulumi(["up", "--yes", "--skip-preview"], { expectCode: 255, env: { PULUMI_CONFIG_PASSPHRASE: "not the passphrase" } });
  assert.match(run.stderr, /incorrect passphrase/);
  assert.equal(runs(), before, "the program's code ran although the update never began");
  assert.deepEqual(leftovers(), []);
  // And with the right one, the program runs once.
  await p.up();
  assert.equal(runs(), before + 1);
});

test("a stack locked by another update stops the program before any of its own code runs", async () => {
  p.clearOps();
  p.write("index.js", program(`new Thing("slow", { label: "slow", sleepMs: 60000 });`));
  const first = await p.spawnUntilOp(["up", "--yes", "--skip-preview"], "begin-create slow");
  try {
    const before = runs();
    const second = await p.pulumi(["up", "--yes", "--skip-preview"], { expectCode: 255 });
    assert.match(second.stderr, /the stack is currently locked/);
    assert.equal(runs(), before, "the second program's code ran although its update never began");
  } finally {
    process.kill(-first.child.pid!, "SIGKILL");
    await first.closed;
  }
  await p.pulumi(["cancel", "--yes"]);
});
