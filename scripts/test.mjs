// Builds, then runs every compiled test file with Node's test runner.
// Usage: npm test [-- <substring filter on test file paths>]
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
// The package's own build script (TypeScript, then the CLI bundle), so the two cannot drift apart.
const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ["npm"];
const build = spawnSync(npm[0], [...npm.slice(1), "run", "--silent", "build"], { cwd: root, stdio: "inherit" });
if (build.status !== 0) process.exit(build.status ?? 1);

function findTests(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules") continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findTests(path, out);
    else if (name.endsWith(".test.js")) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = [];
for (const pkg of readdirSync(join(root, "packages"))) {
  const dist = join(root, "packages", pkg, "dist");
  try { statSync(dist); } catch { continue; }
  findTests(dist, files);
}
const selected = files
  .filter((f) => filters.length === 0 || filters.some((s) => relative(root, f).includes(s)))
  .sort();
if (selected.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
// Tests, and the Automation API's inline workspaces (mkdtemp, never removed), make their temp
// directories under one of the run's own, removed when the run ends.
const runTmp = mkdtempSync(join(tmpdir(), "stackyard-test-"));
const run = spawnSync(process.execPath, ["--test", "--test-concurrency=2", ...selected], { cwd: root, stdio: "inherit", env: { ...process.env, TMPDIR: runTmp } });
rmSync(runTmp, { recursive: true, force: true });
process.exit(run.status ?? 1);
