// Engine overhead bench: N resources of a do-nothing provider (written with @pulumi/pulumi/provider,
// run as the plugin `pulumi-resource-nop` from $PULUMI_HOME/plugins), program shaped as a chain with
// fan-out, driven through the real CLI on a file:// backend in a temp dir. Prints up / no-op preview /
// destroy seconds, ms per resource, state bytes written per update, and the floor: the same program
// and SDK against a monitor that answers at once and does nothing else.
//
// Usage: node bench/engine/run.mjs [--sizes 1000,10000] [--runs K] [--each] [--cpu-prof DIR] [--keep] [--repo DIR]
// With --runs K every figure is the fastest of K runs (the machine is shared; the minimum is the
// measurement least disturbed by others); --each also prints every run's seconds, to see the spread.
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { startFloorMonitor } from "./floor-monitor.mjs";

const here = dirname(fileURLToPath(import.meta.url));
function flag(name) {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : (process.argv[i + 1] ?? "");
}
// --repo: measure the CLI and engine of another built checkout (e.g. the last commit, for before/after).
const repo = resolve(flag("--repo") ?? join(here, "..", ".."));
const nodeModules = join(repo, "node_modules");
// What bin/pulumi runs (the launcher, with NODE_EXTRA_CA_CERTS deferred as bin/pulumi defers it);
// a checkout from before the launcher existed runs its main module.
const launcher = join(repo, "packages", "cli", "dist", "launch", "launcher.cjs");
const cliEntry = existsSync(launcher) ? launcher : join(repo, "packages", "cli", "dist", "main.js");
// The node options bin/pulumi starts the CLI with, read from the script so the two cannot drift.
const binPulumi = join(repo, "bin", "pulumi");
const cliNodeOptions = existsSync(binPulumi) ? (/^exec node ((?:--\S+ )*)"/m.exec(readFileSync(binPulumi, "utf8"))?.[1] ?? "").split(" ").filter(Boolean) : [];
function cliEnvironment(env) {
  if (cliEntry !== launcher || !env.NODE_EXTRA_CA_CERTS) return env;
  const { NODE_EXTRA_CA_CERTS, ...rest } = env;
  return { ...rest, STACKYARD_DEFERRED_CA_CERTS: NODE_EXTRA_CA_CERTS };
}
const counterUrl = pathToFileURL(join(here, "count-writes.mjs")).href;

const sizes = (flag("--sizes") ?? "1000,10000").split(",").map(Number).filter((n) => n > 0);
const cpuProfDir = flag("--cpu-prof");
const keep = process.argv.includes("--keep");
const each = process.argv.includes("--each");
const runs = Math.max(1, Number(flag("--runs") ?? 1));
const FANOUT = 10; // each chain link has FANOUT-1 leaves hanging off it
const PARALLEL = 16;

const PROVIDER_JS = `
const provider = require("@pulumi/pulumi/provider");
// Does nothing: every call answers from its arguments.
provider.main({
  version: "1.0.0",
  async check(urn, olds, news) { return { inputs: news }; },
  async diff(id, urn, olds, news) { return { changes: false }; },
  async create(urn, inputs) { return { id: "nop-" + urn.slice(urn.lastIndexOf("::") + 2), outs: inputs }; },
  async read(id, urn, props) { return { id, props }; },
  async update(id, urn, olds, news) { return { outs: news }; },
  async delete() {},
}, process.argv.slice(2));
`;

// The provider's SDK package, shaped like a generated one: it declares its plugin, so the engine
// knows (as Pulumi's does, from the language host's required plugins) to start it with the program.
const SDK_PACKAGE_JSON = JSON.stringify({ name: "@bench/nop", version: "1.0.0", main: "index.js", pulumi: { resource: true, name: "nop", version: "1.0.0" } });
const SDK_INDEX_JS = `
const pulumi = require("@pulumi/pulumi");
class Thing extends pulumi.CustomResource {
  constructor(name, args, opts) { super("nop:index:Thing", name, args, { version: "1.0.0", ...opts }); }
}
exports.Thing = Thing;
`;

function programJs(n) {
  return `
const { Thing: Nop } = require("@bench/nop");
// A chain of links, each the root of a fan-out: link i waits for link i-1's id; leaves wait for their link's.
const N = ${n}, FANOUT = ${FANOUT};
let prev;
let count = 0;
for (let i = 0; count < N; i++) {
  const link = new Nop("link-" + i, { index: i, prev: prev ? prev.id : "", note: "chain link" });
  count++;
  for (let j = 1; j < FANOUT && count < N; j++, count++) {
    new Nop("leaf-" + i + "-" + j, { index: j, link: link.id, note: "fan-out leaf" });
  }
  prev = link;
}
exports.last = prev.id;
`;
}

function makeProject(root, n) {
  const dir = join(root, "project");
  const home = join(root, "home");
  const state = join(root, "state");
  for (const d of [dir, home, state]) mkdirSync(d, { recursive: true });
  // The workspace's @pulumi packages, plus the provider's SDK package.
  mkdirSync(join(dir, "node_modules", "@bench", "nop"), { recursive: true });
  symlinkSync(join(nodeModules, "@pulumi"), join(dir, "node_modules", "@pulumi"), "dir");
  writeFileSync(join(dir, "node_modules", "@bench", "nop", "package.json"), SDK_PACKAGE_JSON);
  writeFileSync(join(dir, "node_modules", "@bench", "nop", "index.js"), SDK_INDEX_JS);
  writeFileSync(join(dir, "Pulumi.yaml"), "name: enginebench\nruntime: nodejs\n");
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "enginebench", main: "index.js", dependencies: { "@bench/nop": "1.0.0" } }));
  writeFileSync(join(dir, "index.js"), programJs(n));
  const plugin = join(home, "plugins", "resource-nop-v1.0.0");
  mkdirSync(plugin, { recursive: true });
  symlinkSync(nodeModules, join(plugin, "node_modules"), "dir");
  writeFileSync(join(plugin, "provider.js"), PROVIDER_JS);
  writeFileSync(join(plugin, "pulumi-resource-nop"), `#!/bin/sh\nexec "${process.execPath}" "$(dirname "$0")/provider.js" "$@"\n`);
  chmodSync(join(plugin, "pulumi-resource-nop"), 0o755);
  const env = {
    ...process.env,
    PULUMI_HOME: home,
    PULUMI_BACKEND_URL: `file://${state}`,
    PULUMI_CONFIG_PASSPHRASE: "bench",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    STACKYARD_BENCH_STATE_DIR: state,
  };
  delete env.PULUMI_ACCESS_TOKEN;
  delete env.NODE_OPTIONS;
  return { root, dir, home, state, env };
}

/** Runs the CLI (node directly, so --import and --cpu-prof reach it); resolves with seconds and bytes written. */
async function cli(p, label, args, { profile = false } = {}) {
  const writes = join(p.root, `writes-${label}.json`);
  const logPath = join(p.root, `${label}.log`);
  const log = openSync(logPath, "w");
  const nodeArgs = [...cliNodeOptions, "--import", counterUrl];
  if (profile && cpuProfDir) nodeArgs.push("--cpu-prof", "--cpu-prof-dir", cpuProfDir, "--cpu-prof-name", `cli-${label}.cpuprofile`);
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, [...nodeArgs, cliEntry, ...args, "--non-interactive"], {
    cwd: p.dir,
    env: cliEnvironment({ ...p.env, STACKYARD_BENCH_WRITES: writes }),
    stdio: ["ignore", log, log],
  });
  const code = await new Promise((res) => child.once("close", (c) => res(c)));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  closeSync(log);
  if (code !== 0) {
    const text = readFileSync(logPath, "utf8");
    throw new Error(`pulumi ${args.join(" ")} exited ${code}:\n${text.slice(-3000)}`);
  }
  const bytes = existsSync(writes) ? JSON.parse(readFileSync(writes, "utf8")) : undefined;
  return { seconds, bytes };
}

/** The same program and SDK against the trivial monitor, launched the way our engine launches programs. */
async function floor(p, dryRun) {
  const { SUPPORTED_FEATURES } = await import(pathToFileURL(join(repo, "packages", "engine", "dist", "program", "monitor.js")).href);
  const { programArguments, programEnvironment, resolveFromProgram } = await import(pathToFileURL(join(repo, "packages", "engine", "dist", "program", "program-host.js")).href);
  const project = "enginebench";
  const stack = "dev";
  const t0 = process.hrtime.bigint();
  const monitor = await startFloorMonitor({ nodeModules, project, stack, features: [...SUPPORTED_FEATURES.keys()], dryRun, parallel: PARALLEL });
  const launch = {
    source: { kind: "nodejs", rootDirectory: p.dir, programDirectory: p.dir, entryPoint: ".", runtimeOptions: {} },
    identity: { organization: "organization", project, stack },
    monitorAddress: monitor.address,
    engineAddress: monitor.address,
    dryRun,
    parallel: PARALLEL,
    config: {},
    configSecretKeys: [],
    onOutput() {},
  };
  const runPath = resolveFromProgram(p.dir, "@pulumi/pulumi/cmd/run");
  const child = spawn(process.execPath, programArguments(launch, runPath), { cwd: p.dir, env: programEnvironment(launch, p.env), stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr = (stderr + d).slice(-3000)));
  const code = await new Promise((res) => child.once("close", (c) => res(c)));
  await monitor.close();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (code !== 0) throw new Error(`floor program exited ${code}:\n${stderr}`);
  return { seconds, registrations: monitor.registrations(), logs: monitor.logs() };
}

const stateBytes = (b) => (b ? b.checkpoint + b.journal : NaN);
const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "n/a");
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const mb = (n) => `${(n / 1e6).toFixed(2)} MB`;

console.log(`# Stackyard engine bench (node ${process.version}); do-nothing plugin provider, chain of links with ${FANOUT - 1} leaves each, --parallel ${PARALLEL}${runs > 1 ? `; fastest of ${runs} runs` : ""}; CLI from ${repo}`);
const rows = [];
for (const n of sizes) {
  const root = mkdtempSync(join(tmpdir(), `stackyard-bench-engine-${n}-`));
  try {
    const p = makeProject(root, n);
    const fastest = (a, b) => (a === undefined || b.seconds < a.seconds ? b : a);
    let floorUp, floorPreview, up, preview, destroy;
    const paired = { up: [], preview: [] };
    await cli(p, "init", ["stack", "init", "dev"]);
    for (let i = 0; i < runs; i++) {
      const run = {};
      floorUp = fastest(floorUp, (run.floorUp = await floor(p, false)));
      floorPreview = fastest(floorPreview, (run.floorPreview = await floor(p, true)));
      if (floorUp.registrations < n) throw new Error(`floor saw ${floorUp.registrations} registrations, expected ≥ ${n}`);
      const profile = i === 0;
      up = fastest(up, (run.up = await cli(p, "up", ["up", "--yes", "--skip-preview", "--color", "never"], { profile })));
      preview = fastest(preview, (run.preview = await cli(p, "preview", ["preview", "--color", "never", "--expect-no-changes"], { profile })));
      destroy = fastest(destroy, (run.destroy = await cli(p, "destroy", ["destroy", "--yes", "--skip-preview", "--color", "never"], { profile })));
      paired.up.push(run.up.seconds / run.floorUp.seconds);
      paired.preview.push(run.preview.seconds / run.floorPreview.seconds);
      if (each) console.log(`run ${i + 1} of N = ${n}: ${Object.entries(run).map(([what, r]) => `${what} ${fmt(r.seconds)} s`).join(", ")}${profile && cpuProfDir ? " (CLI profiled)" : ""}`);
    }
    const r = { n, floorUp, floorPreview, up, preview, destroy };
    rows.push(r);
    console.log(`\n## N = ${n}`);
    console.log(`floor (program + SDK, trivial monitor): up ${fmt(floorUp.seconds)} s (${fmt((floorUp.seconds * 1000) / n)} ms/res), preview ${fmt(floorPreview.seconds)} s; the SDK sent ${fmt(floorUp.logs / n, 1)} log calls per resource`);
    const line = (name, m, fl) => {
      const perRes = (m.seconds * 1000) / n;
      const extra = fl ? `  ratio to floor ${fmt(m.seconds / fl.seconds)}x, overhead ${fmt(((m.seconds - fl.seconds) * 1000) / n)} ms/res` : "";
      const cpu = m.bytes?.cpuMs !== undefined ? `  (CLI process CPU ${fmt(m.bytes.cpuMs / n)} ms/res)` : "";
      console.log(`${name.padEnd(8)} ${fmt(m.seconds).padStart(7)} s  ${fmt(perRes).padStart(6)} ms/res${extra}${cpu}`);
    };
    line("up", up, floorUp);
    line("preview", preview, floorPreview);
    line("destroy", destroy);
    // Each run measures the floor just before the CLI, so a run's own ratio is the least exposed to
    // the machine getting slower or faster between runs; the median shows where most runs land.
    if (runs > 2) console.log(`median of each run's ratio to its own floor: up ${fmt(median(paired.up))}x, preview ${fmt(median(paired.preview))}x (${runs} runs)`);
    for (const [name, m] of [["up", up], ["destroy", destroy]]) {
      const b = m.bytes;
      console.log(`state bytes written by ${name}: ${mb(stateBytes(b))} (checkpoint ${mb(b.checkpoint)} + journal ${mb(b.journal)}; ${fmt(stateBytes(b) / n, 0)} B/res), plus history ${mb(b.history)}, backups ${mb(b.backup)}`);
    }
    console.log(`state bytes written by preview: ${stateBytes(preview.bytes)}`);
  } finally {
    if (keep) console.log(`(kept ${root})`);
    else rmSync(root, { recursive: true, force: true });
  }
}

if (rows.length > 1) {
  console.log(`\n## scaling`);
  const [a, b] = [rows[0], rows[rows.length - 1]];
  const k = b.n / a.n;
  console.log(`N ×${k}: up state bytes ×${fmt(stateBytes(b.up.bytes) / stateBytes(a.up.bytes))}, destroy ×${fmt(stateBytes(b.destroy.bytes) / stateBytes(a.destroy.bytes))} (linear would be ×${k}, quadratic ×${k * k})`);
}
console.log(`\ntargets: up ≤ 1.2x floor and ≤ 1 ms/res above it; no-op preview ≤ 1.2x floor; state bytes per update O(n)`);
