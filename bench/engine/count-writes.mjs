// Preloaded into the CLI process (`node --import`) by run.mjs: counts the bytes the process writes
// to files under $STACKYARD_BENCH_STATE_DIR, by file kind, and saves the totals as JSON to
// $STACKYARD_BENCH_WRITES when it exits. Only the synchronous fs calls are wrapped: they are the
// ones the DIY backend writes state with; anything else shows up as a zero. Also records the
// process's CPU time (all threads), the engine's own cost independent of how busy the machine is.
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { resolve } from "node:path";

const stateDir = resolve(process.env.STACKYARD_BENCH_STATE_DIR ?? "/nonexistent");
const out = process.env.STACKYARD_BENCH_WRITES;
const totals = { checkpoint: 0, journal: 0, history: 0, backup: 0, other: 0, writes: 0 };
const fdPaths = new Map();

function kindOf(path) {
  const p = resolve(String(path));
  if (!p.startsWith(stateDir + "/")) return undefined;
  if (p.includes("/.pulumi/history/")) return "history";
  if (p.includes("/.pulumi/backups/") || /\.bak(\.|$)/.test(p)) return "backup";
  if (/\.journal\.jsonl$/.test(p)) return "journal";
  if (p.includes("/.pulumi/stacks/")) return "checkpoint";
  return "other";
}
function count(kind, n) {
  if (!kind || !(n > 0)) return;
  totals[kind] += n;
  totals.writes++;
}

const { openSync, closeSync, writeSync, writeFileSync, appendFileSync } = fs;
fs.openSync = function (path, ...rest) {
  const fd = openSync.call(this, path, ...rest);
  const kind = kindOf(path);
  if (kind) fdPaths.set(fd, kind);
  return fd;
};
fs.closeSync = function (fd) {
  fdPaths.delete(fd);
  return closeSync.call(this, fd);
};
fs.writeSync = function (fd, ...rest) {
  const n = writeSync.call(this, fd, ...rest);
  count(fdPaths.get(fd), n);
  return n;
};
fs.writeFileSync = function (file, data, ...rest) {
  writeFileSync.call(this, file, data, ...rest);
  const kind = typeof file === "number" ? fdPaths.get(file) : kindOf(file);
  count(kind, typeof data === "string" ? Buffer.byteLength(data) : data.byteLength);
};
fs.appendFileSync = function (file, data, ...rest) {
  appendFileSync.call(this, file, data, ...rest);
  const kind = typeof file === "number" ? fdPaths.get(file) : kindOf(file);
  count(kind, typeof data === "string" ? Buffer.byteLength(data) : data.byteLength);
};
syncBuiltinESMExports();

if (out) {
  process.on("exit", () => {
    const cpu = process.cpuUsage();
    writeFileSync(out, JSON.stringify({ ...totals, cpuMs: (cpu.user + cpu.system) / 1000 }));
  });
}
