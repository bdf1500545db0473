/**
 * Pulumi's global flags are accepted by every command, wherever they stand (the Automation API
 * appends `--color`, `--logflow`, `-v` … after a subcommand's own arguments), and `about --json`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const PULUMI = join(resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", ".."), "bin", "pulumi");

const GLOBALS = [
  "--color", "never", "--logflow", "--logtostderr", "-v", "3", "--tracing", "file:///dev/null", "--tracing-header", "h",
  "--otel-traces", "file:///dev/null", "--profiling", "prof", "--memprofilerate", "1", "--disable-integrity-checking", "--non-interactive",
];

/** A project directory on a `file://` backend of its own; `run` is the CLI in it. */
function withProject(
  name: string,
  files: Record<string, string>,
  body: (p: { work: string; env: NodeJS.ProcessEnv; run: (args: string[]) => SpawnSyncReturns<string> }) => void,
): void {
  const root = mkdtempSync(join(tmpdir(), `sy-${name}-`));
  try {
    const work = join(root, "proj");
    mkdirSync(work);
    mkdirSync(join(root, "state"));
    writeFileSync(join(work, "Pulumi.yaml"), `name: ${name}\nruntime: nodejs\n`);
    for (const [file, text] of Object.entries(files)) writeFileSync(join(work, file), text);
    const env = { ...process.env, PULUMI_BACKEND_URL: `file://${join(root, "state")}`, PULUMI_CONFIG_PASSPHRASE: "p", PULUMI_HOME: join(root, "home") };
    body({ work, env, run: (args) => spawnSync(PULUMI, args, { cwd: work, env, encoding: "utf8" }) });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test("global flags after the subcommand's arguments, on every command", () => {
  withProject("globals", {}, ({ work, run }) => {
    const commands = [
      ["stack", "init", "dev"],
      ["stack", "ls"],
      ["stack"],
      ["stack", "select", "dev"],
      ["config", "set", "k", "v"],
      ["config"],
      ["config", "get", "k"],
      ["stack", "tag", "set", "t", "1"],
      ["stack", "tag", "ls"],
      ["stack", "output"],
      ["stack", "history"],
      ["stack", "export"],
      ["cancel", "--yes"],
      ["whoami"],
      ["about"],
      ["plugin", "ls"],
      ["version"],
      ["stack", "rename", "prod"],
      ["stack", "rm", "--yes", "prod"],
    ];
    for (const args of commands) {
      // whoami has its own boolean -v/--verbose (a local flag wins, as in Pulumi).
      const globals = args[0] === "whoami" ? GLOBALS.filter((g, i) => g !== "-v" && GLOBALS[i - 1] !== "-v") : GLOBALS;
      const result = run([...args, ...globals]);
      assert.equal(result.status, 0, `pulumi ${args.join(" ")} …globals: ${result.stderr}`);
    }
    // Before the command and with `=` values too.
    const before = run(["--color=never", "-C", work, "-v=9", "stack", "ls", "--json"]);
    assert.equal(before.status, 0, before.stderr);
    assert.deepEqual(JSON.parse(before.stdout), []);
    // A command's own flag of the same name wins: `whoami -v` is its verbose output.
    const who = run(["whoami", "-v"]);
    assert.equal(who.status, 0, who.stderr);
    assert.match(who.stdout, /Backend URL:/);
    // Unknown flags are still errors.
    assert.notEqual(run(["stack", "ls", "--no-such-flag"]).status, 0);
  });
});

test("about --json describes the CLI, the backend and the current stack", () => {
  withProject("aboutproj", { "package.json": JSON.stringify({ name: "aboutproj", dependencies: { "@pulumi/pulumi": "3.270.0" } }) }, ({ env, run }) => {
    assert.equal(run(["stack", "init", "dev"]).status, 0);
    const about = run(["about", "--json"]);
    assert.equal(about.status, 0, about.stderr);
    const parsed = JSON.parse(about.stdout) as {
      cliAbout: { version: string };
      backend: { url: string; user: string } | null;
      currentStack: { name: string; fullyQualifiedName: string } | null;
      runtime: { language: string } | null;
      plugins: { name: string; kind: string }[];
      dependencies: { name: string; version: string }[];
    };
    assert.equal(parsed.cliAbout.version, "3.270.0");
    assert.equal(parsed.backend?.url, env.PULUMI_BACKEND_URL);
    assert.equal(parsed.currentStack?.fullyQualifiedName, "organization/aboutproj/dev");
    assert.equal(parsed.runtime?.language, "nodejs");
    assert.ok(parsed.plugins.some((p) => p.name === "nodejs" && p.kind === "language"), JSON.stringify(parsed.plugins));
    assert.deepEqual(parsed.dependencies, [{ name: "@pulumi/pulumi", version: "3.270.0" }]);
  });
});
