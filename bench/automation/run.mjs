// Wall time of the Automation API's common calls through Stackyard's CLI (bin/pulumi) against a
// DIY (file://) backend in a temp dir, and the CLI's start-up time. Median of several runs.
// Usage: node bench/automation/run.mjs [runs=7]
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { LocalWorkspace, PulumiCommand } from "@pulumi/pulumi/automation/index.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const runs = Number(process.argv[2] ?? 7);
const TARGET_MS = 150;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
async function time(fn) {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

const dir = mkdtempSync(join(tmpdir(), "sy-bench-auto-"));
try {
  const state = join(dir, "state");
  const workDir = join(dir, "program");
  mkdirSync(state);
  mkdirSync(workDir);
  symlinkSync(join(root, "node_modules"), join(workDir, "node_modules"), "dir");
  writeFileSync(join(workDir, "Pulumi.yaml"), "name: bench\nruntime: nodejs\n");
  writeFileSync(join(workDir, "package.json"), JSON.stringify({ name: "bench", main: "index.js" }));
  writeFileSync(join(workDir, "index.js"), 'const pulumi = require("@pulumi/pulumi");\nexports.greeting = new pulumi.Config().get("greeting");\n');
  const envVars = { PULUMI_BACKEND_URL: `file://${state}`, PULUMI_CONFIG_PASSPHRASE: "bench", PULUMI_HOME: join(dir, "home") };
  const pulumiCommand = await PulumiCommand.get({ root });
  const opts = { workDir, pulumiCommand, envVars };
  const stackName = "organization/bench/dev";

  // Warm-up: create the stack and deploy once, so later calls measure the steady state.
  let stack = await LocalWorkspace.createOrSelectStack({ stackName, workDir }, opts);
  await stack.setConfig("greeting", { value: "hello" });
  await stack.up();

  const cases = {
    "pulumi version (CLI start-up)": async () => execFileSync(join(root, "bin", "pulumi"), ["version"]),
    createOrSelectStack: async () => {
      stack = await LocalWorkspace.createOrSelectStack({ stackName, workDir }, opts);
    },
    setConfig: async () => stack.setConfig("greeting", { value: "hello" }),
    getAllConfig: async () => stack.getAllConfig(),
    outputs: async () => stack.outputs(),
    "up (no-op)": async () => stack.up(),
  };
  const rows = [];
  for (const [name, fn] of Object.entries(cases)) {
    await fn();
    const samples = [];
    for (let i = 0; i < runs; i++) samples.push(await time(fn));
    rows.push({ name, median: median(samples), min: Math.min(...samples), max: Math.max(...samples) });
  }
  const pad = (s, n) => String(s).padEnd(n);
  console.log(`Automation API through Stackyard's CLI, DIY backend, median of ${runs} runs (node ${process.version})`);
  console.log(`${pad("call", 32)}${pad("median ms", 12)}${pad("min", 10)}${pad("max", 10)}target`);
  for (const r of rows) {
    const workspaceCall = !r.name.startsWith("up") && !r.name.startsWith("pulumi");
    const verdict = workspaceCall ? (r.median < TARGET_MS ? `< ${TARGET_MS} ms: met` : `< ${TARGET_MS} ms: NOT met`) : "";
    console.log(`${pad(r.name, 32)}${pad(r.median.toFixed(1), 12)}${pad(r.min.toFixed(1), 10)}${pad(r.max.toFixed(1), 10)}${verdict}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
