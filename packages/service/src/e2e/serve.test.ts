/** `stackyard serve` (the CLI command) starts this service: first-start bootstrap, env token, restart. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../../cli/dist/main.js", import.meta.url));

async function serve(dataDir: string, env: Record<string, string> = {}): Promise<{ lines: string[]; url: string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [MAIN, "serve", "--port", "0", "--host", "127.0.0.1", "--data-dir", dataDir], {
    env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const rl = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    rl.on("line", (l) => {
      lines.push(l);
      const m = /listening on (http:\/\/\S+)/.exec(l);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`serve exited with ${code}`)));
  });
  await new Promise((r) => setTimeout(r, 100));
  return {
    lines, url,
    stop: () => new Promise((resolve) => {
      child.once("exit", (code) => resolve(code));
      child.kill("SIGTERM");
    }),
  };
}

test("serve: first start prints a working token once; STACKYARD_ADMIN_TOKEN adds a known one", { skip: existsSync(MAIN) ? false : "packages/cli is not built" }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "stackyard-serve-"));
  try {
    const first = await serve(dir);
    const token = first.lines.map((l) => /First access token \(shown once\): (pul-[0-9a-f]{40})/.exec(l)?.[1]).find(Boolean);
    assert.ok(token, first.lines.join("\n"));
    const me = await fetch(`${first.url}/api/user`, { headers: { Authorization: `token ${token}` } });
    assert.equal(me.status, 200);
    assert.equal(((await me.json()) as { githubLogin: string }).githubLogin, "admin");
    assert.equal(await first.stop(), 0);

    const known = "pul-1111111111111111111111111111111111111111";
    const second = await serve(dir, { STACKYARD_ADMIN_TOKEN: known });
    assert.ok(!second.lines.some((l) => l.includes("First access token")), "no new token on a later start");
    assert.equal((await fetch(`${second.url}/api/user`, { headers: { Authorization: `token ${known}` } })).status, 200);
    assert.equal((await fetch(`${second.url}/api/user`, { headers: { Authorization: `token ${token}` } })).status, 200);
    assert.equal(await second.stop(), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
