import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { ConcurrentUpdateError } from "../backend.js";
import { openDiyBackend } from "./index.js";
import { META, openTemp, ref } from "./test-support.js";

const LOCK_DIR = ".pulumi/locks/organization/proj/dev";

test("beginUpdate writes a Pulumi-shaped lock and releases it on complete", async (t) => {
  const { dir, backend } = await openTemp(t);
  const r = ref("proj", "dev");
  await backend.createStack(r, {});
  const session = await backend.beginUpdate(r, "update", META);
  const locks = readdirSync(join(dir, LOCK_DIR));
  assert.equal(locks.length, 1);
  assert.match(locks[0]!, /^[0-9a-f-]{36}\.json$/);
  const content = JSON.parse(readFileSync(join(dir, LOCK_DIR, locks[0]!), "utf8")) as Record<string, unknown>;
  assert.deepEqual(Object.keys(content), ["pid", "username", "hostname", "timestamp"]);
  assert.equal(content["pid"], process.pid);
  assert.equal(content["hostname"], hostname());
  await session.complete("succeeded", {});
  assert.deepEqual(readdirSync(join(dir, LOCK_DIR)), []);
});

test("a second update fails with Pulumi's exact lock message, one line per lock", async (t) => {
  const { dir, backend } = await openTemp(t);
  const other = await openDiyBackend(`file://${dir}`, { env: {} });
  const r = ref("proj", "dev");
  await backend.createStack(r, {});
  const session = await backend.beginUpdate(r, "update", META);
  const lockFile = readdirSync(join(dir, LOCK_DIR))[0]!;
  const lock = JSON.parse(readFileSync(join(dir, LOCK_DIR, lockFile), "utf8")) as { username: string; timestamp: string };

  const err = await other.beginUpdate(r, "update", META).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof ConcurrentUpdateError);
  const lines = err.message.split("\n");
  assert.equal(
    lines[0],
    "the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.",
  );
  assert.equal(lines.length, 2);
  const when = lock.timestamp.replace(/\.\d+Z$/, "Z");
  assert.equal(
    lines[1],
    `  file://${dir}/${LOCK_DIR}/${lockFile}?no_tmp_dir=true: created by ${lock.username}@${hostname()} (pid ${process.pid}) at ${when}`,
  );
  // The failed attempt left no lock of its own behind.
  assert.equal(readdirSync(join(dir, LOCK_DIR)).length, 1);

  // Same backend instance, too: one update at a time per stack.
  await assert.rejects(backend.beginUpdate(r, "refresh", META), /the stack is currently locked by 1 lock\(s\)/);
  await session.complete("succeeded", {});
  const next = await other.beginUpdate(r, "update", META);
  await next.complete("succeeded", {});
});

test("cancelUpdate deletes every lock; the stack can then be updated", async (t) => {
  const { dir, backend } = await openTemp(t);
  const r = ref("proj", "dev");
  await backend.createStack(r, {});
  await backend.beginUpdate(r, "update", META);
  // A foreign lock from another machine, which is never considered stale.
  writeFileSync(
    join(dir, LOCK_DIR, "00000000-0000-4000-8000-000000000000.json"),
    JSON.stringify({ pid: 1, username: "ci", hostname: "elsewhere.example", timestamp: "2026-01-02T03:04:05.123456789+01:00" }),
  );
  const err = await backend.beginUpdate(r, "update", META).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  assert.match(err!.message, /^the stack is currently locked by 2 lock\(s\)\./);
  assert.match(err!.message, /created by ci@elsewhere\.example \(pid 1\) at 2026-01-02T03:04:05\+01:00/);
  await backend.cancelUpdate(r);
  assert.deepEqual(readdirSync(join(dir, LOCK_DIR)), []);
  const session = await backend.beginUpdate(r, "update", META);
  await session.complete("succeeded", {});
});

test("a lock left by a dead process on this host is reclaimed", async (t) => {
  const { dir, backend } = await openTemp(t);
  const r = ref("proj", "dev");
  await backend.createStack(r, {});
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
  const deadPid = Number(child.stdout.toString());
  mkdirSync(join(dir, LOCK_DIR), { recursive: true });
  const stale = join(dir, LOCK_DIR, "11111111-1111-4111-8111-111111111111.json");
  writeFileSync(stale, JSON.stringify({ pid: deadPid, username: "x", hostname: hostname(), timestamp: new Date().toISOString() }));
  const session = await backend.beginUpdate(r, "update", META);
  assert.equal(existsSync(stale), false);
  await session.complete("succeeded", {});
});

test("processes racing for the same stack never hold it at the same time", async (t) => {
  const { dir, backend } = await openTemp(t);
  await backend.createStack(ref("proj", "dev"), {});
  const index = new URL("./index.js", import.meta.url).href;
  const script = `
    import { openDiyBackend } from ${JSON.stringify(index)};
    const b = await openDiyBackend(${JSON.stringify(`file://${dir}`)}, { env: {} });
    const ref = { organization: "organization", project: "proj", name: "dev" };
    try {
      const s = await b.beginUpdate(ref, "update", { message: "", environment: {}, config: {} });
      const start = Date.now();
      await new Promise((r) => setTimeout(r, 150));
      const end = Date.now();
      await s.complete("succeeded", {});
      process.stdout.write(JSON.stringify({ start, end }));
    } catch (e) {
      if (!/the stack is currently locked by/.test(e.message)) throw e;
      process.stdout.write("locked");
    }
  `;
  const { spawn } = await import("node:child_process");
  const runs = await Promise.all(
    Array.from({ length: 6 }, () =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ["--input-type=module", "-e", script]);
        let out = "";
        let err = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", (d: Buffer) => (err += d.toString()));
        child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(err))));
      }),
    ),
  );
  const held = runs.filter((r) => r !== "locked").map((r) => JSON.parse(r) as { start: number; end: number });
  held.sort((a, b) => a.start - b.start);
  for (let i = 1; i < held.length; i++) assert.ok(held[i]!.start >= held[i - 1]!.end, "two holders overlapped");
  assert.deepEqual(readdirSync(join(dir, LOCK_DIR)), []);
});
