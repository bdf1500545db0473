/**
 * End-to-end tests of the stack/config/whoami commands: spawn the built CLI in temp directories
 * with a DIY backend, exactly as the Automation API does (args first, then --stack/--non-interactive).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createDecipheriv, createHash, pbkdf2Sync } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { openDiyBackend } from "../backend/diy/index.js";

const MAIN = join(dirname(fileURLToPath(import.meta.url)), "..", "main.js");
const SIG = "4dabf18193072939515e22adb298388d";
const SECRET = "1b47061264138c4ac30d75fd1eb44270";

interface Env {
  dir: string;
  state: string;
  home: string;
  env: NodeJS.ProcessEnv;
}

function setup(project = "p"): Env {
  const root = mkdtempSync(join(tmpdir(), "sy-cli-"));
  const dir = join(root, "proj");
  const state = join(root, "state");
  const home = join(root, "home");
  mkdirSync(dir);
  mkdirSync(state);
  writeFileSync(join(dir, "Pulumi.yaml"), `name: ${project}\nruntime: nodejs\n`);
  const env: NodeJS.ProcessEnv = { ...process.env, PULUMI_HOME: home, PULUMI_BACKEND_URL: `file://${state}`, PULUMI_CONFIG_PASSPHRASE: "test" };
  delete env["PULUMI_CONFIG_PASSPHRASE_FILE"];
  delete env["PULUMI_SKIP_CONFIRMATIONS"];
  return { dir, state, home, env };
}

function run(e: Env, args: string[], extraEnv: NodeJS.ProcessEnv = {}, input?: string) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd: e.dir, env: { ...e.env, ...extraEnv }, encoding: "utf8", ...(input !== undefined ? { input } : {}) });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(e: Env, args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  const r = run(e, args, extraEnv);
  assert.equal(r.code, 0, `pulumi ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

/** The Automation API's shape: command args, then `--stack <s>`, then `--non-interactive`. */
function auto(e: Env, stack: string, args: string[]) {
  return run(e, [...args, "--stack", stack, "--non-interactive"]);
}

test("select of a missing stack says 'no stack named … found'; init creates the stack and a verifiable salt", () => {
  const e = setup();
  const sel = run(e, ["stack", "select", "--stack", "organization/p/dev", "--non-interactive"]);
  assert.equal(sel.code, 255);
  assert.match(sel.stderr, /no stack named.*found/);

  assert.equal(ok(e, ["stack", "init", "organization/p/dev", "--non-interactive"]), "Created stack 'dev'\n");
  assert.ok(existsSync(join(e.state, ".pulumi", "stacks", "p", "dev.json")));
  const settings = parse(readFileSync(join(e.dir, "Pulumi.dev.yaml"), "utf8")) as { encryptionsalt: string };
  assert.match(settings.encryptionsalt, /^v1:[A-Za-z0-9+/=]+:v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
  // Fact 29, checked with plain node:crypto.
  const [, salt, , nonce, body] = settings.encryptionsalt.split(":");
  const key = pbkdf2Sync("test", Buffer.from(salt!, "base64"), 1_000_000, 32, "sha256");
  const raw = Buffer.from(body!, "base64");
  const d = createDecipheriv("aes-256-gcm", key, Buffer.from(nonce!, "base64"));
  d.setAuthTag(raw.subarray(raw.length - 16));
  assert.equal(Buffer.concat([d.update(raw.subarray(0, raw.length - 16)), d.final()]).toString(), "pulumi");

  // The checkpoint records the same secrets provider state from the start.
  const exported = JSON.parse(ok(e, ["stack", "export", "--stack", "organization/p/dev"]));
  assert.deepEqual(exported.deployment.secrets_providers, { type: "passphrase", state: { salt: settings.encryptionsalt } });
  assert.equal(exported.deployment.manifest.version, "v3.270.0");
  assert.equal(exported.deployment.manifest.magic, createHash("sha256").update("v3.270.0").digest("hex"));

  const again = run(e, ["stack", "init", "organization/p/dev"]);
  assert.equal(again.code, 255);
  assert.match(again.stderr, /stack.*already exists/);
  ok(e, ["stack", "select", "--stack", "organization/p/dev", "--non-interactive"]);
});

test("stack init without a passphrase fails before creating anything", () => {
  const e = setup();
  const env = { ...e.env };
  delete env["PULUMI_CONFIG_PASSPHRASE"];
  const r = spawnSync(process.execPath, [MAIN, "stack", "init", "dev"], { cwd: e.dir, env, encoding: "utf8" });
  assert.equal(r.status, 255);
  assert.match(r.stderr, /passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables/);
  assert.equal(existsSync(join(e.state, ".pulumi", "stacks", "p", "dev.json")), false);
});

test("config set/get/--path/--secret and the JSON shapes the Automation API parses", () => {
  const e = setup();
  ok(e, ["stack", "init", "organization/p/dev"]);
  const s = "organization/p/dev";
  // setConfig's exact argv: the value after `--`, nothing appended.
  const setConfig = (key: string, flag: string, value: string, path = false) =>
    run(e, ["config", "set", ...(path ? ["--path"] : []), key, "--stack", s, flag, "--non-interactive", "--", value]);
  assert.equal(setConfig("k", "--secret", "v").code, 0);
  assert.equal(setConfig("key7.subKey2", "--plaintext", "value8", true).code, 0);
  assert.equal(setConfig("key6.subKey1", "--plaintext", "-dash").code, 0);
  const file = parse(readFileSync(join(e.dir, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
  assert.match((file.config["p:k"] as { secure: string }).secure, /^v1:/);
  assert.deepEqual(file.config["p:key7"], { subKey2: "value8" });
  assert.equal(file.config["p:key6.subKey1"], "-dash");

  const masked = JSON.parse(auto(e, s, ["config", "--json"]).stdout);
  assert.deepEqual(masked["p:k"], { secret: true });
  const all = JSON.parse(auto(e, s, ["config", "--show-secrets", "--json"]).stdout);
  assert.deepEqual(all, {
    "p:k": { value: "v", secret: true },
    "p:key6.subKey1": { value: "-dash", secret: false },
    "p:key7": { value: '{"subKey2":"value8"}', objectValue: { subKey2: "value8" }, secret: false },
  });
  assert.deepEqual(JSON.parse(auto(e, s, ["config", "get", "k", "--json"]).stdout), { value: "v", secret: true });
  assert.deepEqual(JSON.parse(auto(e, s, ["config", "get", "--path", "key7.subKey2", "--json"]).stdout), { value: "value8", secret: false });
  assert.equal(auto(e, s, ["config", "get", "key7"]).stdout, '{"subKey2":"value8"}\n');
  const missing = auto(e, s, ["config", "get", "nope", "--json"]);
  assert.equal(missing.code, 255);
  assert.equal(missing.stderr, "error: configuration key 'nope' not found for stack 'dev'\n");
  // The table shows pretty keys and blinds secrets.
  assert.equal(auto(e, s, ["config"]).stdout, 'KEY           VALUE\nk             [secret]\nkey6.subKey1  -dash\nkey7          {"subKey2":"value8"}\n');
  const both = auto(e, s, ["config", "set", "x", "y", "--secret", "--plaintext"]);
  assert.equal(both.code, 255);
});

test("config set-all (pairs and --json), rm, rm-all, value from stdin", () => {
  const e = setup();
  ok(e, ["stack", "init", "dev"]);
  const s = "organization/p/dev";
  assert.equal(auto(e, s, ["config", "set-all", "--plaintext", "a=1", "--secret", "b=two", "--plaintext", "c=x=y"]).code, 0);
  assert.equal(auto(e, s, ["config", "set-all", "--path", "--plaintext", "names[0]=a", "--plaintext", "names[1]=b"]).code, 0);
  const json = JSON.stringify({ "p:j": { value: "jv", secret: false }, "p:js": { value: "sv", secret: true }, "p:jo": { value: '{"x":1}', objectValue: { x: 1 }, secret: false } });
  assert.equal(auto(e, s, ["config", "set-all", "--json", json]).code, 0);
  const all = JSON.parse(auto(e, s, ["config", "--show-secrets", "--json"]).stdout);
  assert.deepEqual(all["p:a"], { value: "1", secret: false });
  assert.deepEqual(all["p:b"], { value: "two", secret: true });
  assert.deepEqual(all["p:c"], { value: "x=y", secret: false });
  assert.deepEqual(all["p:names"], { value: '["a","b"]', objectValue: ["a", "b"], secret: false });
  assert.deepEqual(all["p:js"], { value: "sv", secret: true });
  assert.deepEqual(all["p:jo"], { value: '{"x":1}', objectValue: { x: 1 }, secret: false });
  const mixed = auto(e, s, ["config", "set-all", "--json", json, "--plaintext", "a=2"]);
  assert.match(mixed.stderr, /the --json option cannot be used with the --plaintext, --secret or --path options/);

  assert.equal(auto(e, s, ["config", "rm", "a"]).code, 0);
  assert.equal(auto(e, s, ["config", "rm", "names[0]", "--path"]).code, 0);
  assert.equal(auto(e, s, ["config", "rm-all", "b", "c", "j"]).code, 0);
  const after = JSON.parse(auto(e, s, ["config", "--json"]).stdout);
  assert.deepEqual(Object.keys(after).sort(), ["p:jo", "p:js", "p:names"]);
  assert.equal(after["p:names"].value, '["b"]');

  assert.equal(run(e, ["config", "set", "fromstdin", "--stack", s], {}, "piped value\n").code, 0);
  assert.equal(auto(e, s, ["config", "get", "fromstdin"]).stdout, "piped value\n");
});

test("no stack selected and not logged in use Pulumi's wording", () => {
  const e = setup();
  const r = run(e, ["config", "--json"]);
  assert.equal(r.code, 255);
  assert.equal(r.stderr, "error: no stack selected; please use `pulumi stack select` or `pulumi stack init` to choose one\n");
  const noUrl = run(e, ["stack", "ls"], { PULUMI_BACKEND_URL: "" });
  assert.equal(noUrl.code, 255);
  assert.match(noUrl.stderr, /pulumi login/);
  const notFound = run(e, ["config", "--stack", "organization/p/ghost"]);
  assert.equal(notFound.stderr, "error: no stack named 'organization/p/ghost' found\n");
});

test("stack ls --json, tags, rename, rm and whoami", () => {
  const e = setup();
  ok(e, ["stack", "init", "organization/p/dev"]);
  ok(e, ["stack", "init", "organization/p/prod", "--no-select"]);
  const listed = JSON.parse(ok(e, ["stack", "ls", "--json"])) as { name: string; current: boolean; lastUpdate: string; resourceCount: number }[];
  assert.deepEqual(listed.map((x) => [x.name, x.current, x.resourceCount]), [
    ["dev", true, 0],
    ["prod", false, 0],
  ]);
  // A new stack's checkpoint already has a manifest (Pulumi's initial state), so lastUpdate is its time.
  for (const x of listed) assert.match(x.lastUpdate, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.deepEqual(Object.keys(listed[0]!), ["name", "current", "lastUpdate", "resourceCount"]);
  assert.equal(ok(e, ["stack", "--show-name"]), "dev\n");

  const s = "organization/p/prod";
  assert.equal(auto(e, s, ["stack", "tag", "set", "owner", "me"]).code, 0);
  assert.equal(auto(e, s, ["stack", "tag", "get", "owner"]).stdout, "me\n");
  assert.deepEqual(JSON.parse(auto(e, s, ["stack", "tag", "ls", "--json"]).stdout), { owner: "me", "pulumi:project": "p" });
  assert.equal(auto(e, s, ["stack", "tag", "rm", "owner"]).code, 0);
  assert.match(auto(e, s, ["stack", "tag", "get", "owner"]).stderr, /stack tag 'owner' not found for stack 'prod'/);
  assert.deepEqual(JSON.parse(ok(e, ["stack", "ls", "--json", "--tag", "pulumi:project=p"])).length, 2);

  ok(e, ["config", "set", "x", "1", "--stack", s]);
  assert.equal(ok(e, ["stack", "rename", "staging", "--stack", s, "--color", "never"]), "Renamed prod to staging\n");
  assert.ok(existsSync(join(e.dir, "Pulumi.staging.yaml")));
  assert.equal(existsSync(join(e.dir, "Pulumi.prod.yaml")), false);
  assert.deepEqual(JSON.parse(ok(e, ["stack", "ls", "--json"])).map((x: { name: string; current: boolean }) => [x.name, x.current]), [
    ["dev", false],
    ["staging", true],
  ]);

  const noYes = run(e, ["stack", "rm", "staging"]);
  assert.equal(noYes.code, 255);
  assert.match(noYes.stderr, /--yes/);
  assert.equal(ok(e, ["stack", "rm", "--yes", "staging"]), "Stack 'staging' has been removed!\n");
  assert.equal(existsSync(join(e.dir, "Pulumi.staging.yaml")), false);
  ok(e, ["stack", "rm", "--yes", "--preserve-config", "dev"]);
  assert.ok(existsSync(join(e.dir, "Pulumi.dev.yaml")));
  assert.deepEqual(JSON.parse(ok(e, ["stack", "ls", "--json"])), []);

  const who = JSON.parse(ok(e, ["whoami", "--json"]));
  assert.equal(who.url, `file://${e.state}`);
  assert.equal(typeof who.user, "string");
  assert.ok(who.user.length > 0);
  assert.match(ok(e, ["whoami", "-v"]), new RegExp(`^User: .+\\nOrganizations: \\nBackend URL: file://${e.state}\\nToken type: personal\\n$`));
});

function deploymentWithSecret(stack: string, salt?: string) {
  return {
    version: 3,
    deployment: {
      manifest: { time: "2026-01-01T00:00:00Z", magic: "", version: "v3.270.0" },
      ...(salt ? { secrets_providers: { type: "passphrase", state: { salt } } } : {}),
      resources: [
        {
          urn: `urn:pulumi:${stack}::p::pulumi:pulumi:Stack::p-${stack}`,
          custom: false,
          type: "pulumi:pulumi:Stack",
          outputs: { plain: "hi", pw: { [SIG]: SECRET, plaintext: '"s3cr3t"' }, deep: { list: [{ [SIG]: SECRET, plaintext: "42" }] } },
        },
      ],
    },
  };
}

test("stack import/export/output: plaintext secrets are encrypted, revealed on request, masked otherwise", () => {
  const e = setup();
  ok(e, ["stack", "init", "organization/p/dev"]);
  const s = "organization/p/dev";
  const salt = (parse(readFileSync(join(e.dir, "Pulumi.dev.yaml"), "utf8")) as { encryptionsalt: string }).encryptionsalt;
  const file = join(e.dir, "..", "import.json");
  writeFileSync(file, JSON.stringify(deploymentWithSecret("dev", salt)));
  const imp = auto(e, s, ["stack", "import", "--file", file]);
  assert.equal(imp.code, 0, imp.stderr);
  assert.equal(imp.stdout, "Import complete.\n");

  const exported = JSON.parse(auto(e, s, ["stack", "export"]).stdout);
  const pw = exported.deployment.resources[0].outputs.pw;
  assert.equal(pw[SIG], SECRET);
  assert.match(pw.ciphertext, /^v1:/);
  assert.equal(pw.plaintext, undefined);
  const shown = auto(e, s, ["stack", "export", "--show-secrets"]).stdout;
  assert.match(shown, /^\{\n {4}"version": 3,/);
  assert.deepEqual(JSON.parse(shown).deployment.resources[0].outputs.pw, { [SIG]: SECRET, plaintext: '"s3cr3t"' });

  assert.deepEqual(JSON.parse(auto(e, s, ["stack", "output", "--json"]).stdout), { deep: { list: ["[secret]"] }, plain: "hi", pw: "[secret]" });
  assert.deepEqual(JSON.parse(auto(e, s, ["stack", "output", "--json", "--show-secrets"]).stdout), { deep: { list: [42] }, plain: "hi", pw: "s3cr3t" });
  assert.equal(auto(e, s, ["stack", "output", "pw", "--show-secrets"]).stdout, "s3cr3t\n");
  assert.match(auto(e, s, ["stack", "output", "nope"]).stderr, /current stack does not have output property 'nope'/);
  assert.match(auto(e, s, ["stack", "output"]).stdout, /^Current stack outputs \(3\):\n {4}OUTPUT  VALUE\n/);

  // Another stack's state is refused unless --force.
  ok(e, ["stack", "init", "organization/p/other"]);
  const wrong = auto(e, "organization/p/other", ["stack", "import", "--file", file]);
  assert.equal(wrong.code, 255);
  assert.match(wrong.stderr, /resource 'urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev' is from a different stack \(dev != other\)/);
  assert.match(wrong.stderr, /importing this file could be dangerous; rerun with --force to proceed anyway/);
  assert.equal(auto(e, "organization/p/other", ["stack", "import", "--file", file, "--force"]).code, 0);

  // A stack with resources is not removed without --force.
  const rm = run(e, ["stack", "rm", "--yes", "dev"]);
  assert.equal(rm.code, 255);
  assert.match(rm.stderr, /'dev' still has resources; removal rejected/);
  ok(e, ["stack", "rm", "--yes", "--force", "dev"]);
});

test("stack history --json after an update: RFC 5424 times, config entries, paging", async () => {
  const e = setup();
  ok(e, ["stack", "init", "organization/p/dev"]);
  const s = "organization/p/dev";
  assert.deepEqual(JSON.parse(auto(e, s, ["stack", "history", "--json"]).stdout), []);
  assert.equal(auto(e, s, ["stack", "history"]).stdout, "Stack has never been updated\n");
  ok(e, ["config", "set", "--secret", "pw", "hunter2", "--stack", s]);
  ok(e, ["config", "set", "name", "n1", "--stack", s]);
  const settings = parse(readFileSync(join(e.dir, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };

  const backend = await openDiyBackend(`file://${e.state}`);
  const ref = backend.parseStackRef(s, "p");
  for (const message of ["first", "second"]) {
    const session = await backend.beginUpdate(ref, "update", {
      message,
      environment: { "exec.kind": "cli" },
      config: {
        "p:name": { string: "n1", secret: false, object: false },
        "p:pw": { string: (settings.config["p:pw"] as { secure: string }).secure, secret: true, object: false },
      },
    });
    await session.complete("succeeded", { create: 1 });
  }
  const history = JSON.parse(auto(e, s, ["stack", "history", "--json", "--show-secrets"]).stdout);
  assert.equal(history.length, 2);
  const [latest] = history;
  assert.equal(latest.kind, "update");
  assert.equal(latest.result, "succeeded");
  assert.equal(latest.message, "second");
  assert.match(latest.startTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.match(latest.endTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.deepEqual(latest.resourceChanges, { create: 1 });
  assert.deepEqual(latest.config, { "p:name": { value: "n1", secret: false }, "p:pw": { value: "hunter2", secret: true } });
  const blind = JSON.parse(auto(e, s, ["stack", "history", "--json"]).stdout);
  assert.deepEqual(blind[0].config["p:pw"], { secret: true });
  const page = JSON.parse(auto(e, s, ["stack", "history", "--json", "--show-secrets", "--page-size", "1", "--page", "1"]).stdout);
  assert.equal(page.length, 1);
  assert.equal(page[0].message, "second");
  assert.match(auto(e, s, ["stack", "history"]).stdout, /^Version: \d+\nUpdateKind: update\nStatus: succeeded\nMessage: second\n\+1-0~0 0 Updated .* took \d+s\n {4}exec.kind: cli\n/);
  // config refresh restores the config of the latest update (backing up the file unless --force).
  ok(e, ["config", "set", "extra", "e", "--stack", s]);
  assert.equal(auto(e, s, ["config", "refresh"]).stdout, `backed up existing configuration file to ${join(e.dir, "Pulumi.dev.yaml")}.bak\nrefreshed configuration for stack 'dev'\n`);
  assert.ok(existsSync(join(e.dir, "Pulumi.dev.yaml.bak")));
  ok(e, ["config", "set", "extra", "e", "--stack", s]);
  assert.equal(auto(e, s, ["config", "refresh", "--force"]).code, 0);
  assert.deepEqual(JSON.parse(auto(e, s, ["config", "--show-secrets", "--json"]).stdout), {
    "p:name": { value: "n1", secret: false },
    "p:pw": { value: "hunter2", secret: true },
  });
  assert.match(JSON.parse(ok(e, ["stack", "ls", "--json"]))[0].lastUpdate, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
});

test("environments need a service backend; org commands refuse on DIY", () => {
  const e = setup();
  ok(e, ["stack", "init", "dev"]);
  for (const args of [["config", "env", "ls", "--json"], ["config", "env", "add", "myenv", "--yes"], ["config", "env", "rm", "myenv", "--yes"]]) {
    const r = auto(e, "organization/p/dev", args);
    assert.equal(r.code, 255);
    assert.match(r.stderr, /does not support environments; Pulumi ESC environments require the Pulumi Cloud backend/);
  }
  const get = run(e, ["org", "get-default", "--non-interactive"]);
  assert.equal(get.code, 255);
  assert.match(get.stderr, /do not support organizations/);
  const set = run(e, ["org", "set-default", "--", "acme", "--non-interactive"]);
  assert.equal(set.code, 255);
  assert.match(set.stderr, /unable to set a default organization/);
});

test("login/logout with file:// URLs and --local maintain credentials.json", () => {
  const e = setup();
  const env = { PULUMI_BACKEND_URL: "" };
  assert.match(ok(e, ["login", `file://${e.state}`], env), new RegExp(`^Logged in to .+ as .+ \\(file://${e.state}\\)\\n$`));
  const creds = JSON.parse(readFileSync(join(e.home, "credentials.json"), "utf8"));
  assert.equal(creds.current, `file://${e.state}`);
  ok(e, ["stack", "init", "dev"], env);
  assert.deepEqual(JSON.parse(ok(e, ["stack", "ls", "--json"], env)).map((x: { name: string; current: boolean }) => [x.name, x.current]), [["dev", true]]);
  assert.equal(ok(e, ["logout"], env), `Logged out of file://${e.state}\n`);
  assert.equal(JSON.parse(readFileSync(join(e.home, "credentials.json"), "utf8")).current, undefined);
  assert.match(run(e, ["stack", "ls"], env).stderr, /pulumi login/);
});

test("many processes configuring different stacks at once lose nothing", async () => {
  const e = setup();
  const stacks = ["s1", "s2", "s3", "s4"];
  for (const s of stacks) ok(e, ["stack", "init", s, "--no-select"]);
  const spawnCli = (args: string[]) =>
    new Promise<number>((resolveExit) => {
      const child = spawn(process.execPath, [MAIN, ...args], { cwd: e.dir, env: e.env, stdio: "ignore" });
      child.on("exit", (code) => resolveExit(code ?? -1));
    });
  const jobs: Promise<number>[] = [];
  for (const s of stacks) {
    for (let i = 0; i < 4; i++) {
      jobs.push(spawnCli(["config", "set", `k${i}`, `v${i}`, "--plaintext", "--stack", `organization/p/${s}`, "--non-interactive"]));
      jobs.push(spawnCli(["stack", "select", s]));
    }
  }
  assert.deepEqual(new Set(await Promise.all(jobs)), new Set([0]));
  for (const s of stacks) {
    const cfg = JSON.parse(ok(e, ["config", "--json", "--stack", s]));
    assert.deepEqual(Object.keys(cfg).sort(), ["p:k0", "p:k1", "p:k2", "p:k3"]);
  }
});

test("init --copy-config-from, config cp, change-secrets-provider re-encrypt secrets", () => {
  const e = setup();
  ok(e, ["stack", "init", "dev"]);
  ok(e, ["config", "set", "--secret", "pw", "hunter2"]);
  ok(e, ["config", "set", "--path", "obj.inner", "x"]);
  ok(e, ["stack", "init", "qa", "--copy-config-from", "dev"]);
  const qa = JSON.parse(ok(e, ["config", "--json", "--show-secrets", "--stack", "qa"]));
  assert.deepEqual(qa["p:pw"], { value: "hunter2", secret: true });
  assert.deepEqual(qa["p:obj"].objectValue, { inner: "x" });
  const devSalt = (parse(readFileSync(join(e.dir, "Pulumi.dev.yaml"), "utf8")) as { encryptionsalt: string }).encryptionsalt;
  const qaFile = parse(readFileSync(join(e.dir, "Pulumi.qa.yaml"), "utf8")) as { encryptionsalt: string; config: Record<string, { secure: string }> };
  assert.notEqual(qaFile.encryptionsalt, devSalt);

  ok(e, ["stack", "init", "uat", "--no-select"]);
  ok(e, ["config", "cp", "pw", "--dest", "uat", "--stack", "dev"]);
  assert.deepEqual(JSON.parse(ok(e, ["config", "get", "pw", "--json", "--stack", "uat"])), { value: "hunter2", secret: true });
  assert.match(run(e, ["config", "cp", "--dest", "dev", "--stack", "dev"]).stderr, /current stack and destination stack are the same/);

  const before = qaFile.config["p:pw"]!.secure;
  ok(e, ["stack", "change-secrets-provider", "passphrase", "--stack", "qa"], { PULUMI_CONFIG_PASSPHRASE: "test" });
  const rotated = parse(readFileSync(join(e.dir, "Pulumi.qa.yaml"), "utf8")) as { encryptionsalt: string; config: Record<string, { secure: string }> };
  assert.notEqual(rotated.encryptionsalt, qaFile.encryptionsalt);
  assert.notEqual(rotated.config["p:pw"]!.secure, before);
  assert.deepEqual(JSON.parse(ok(e, ["config", "get", "pw", "--json", "--stack", "qa"])), { value: "hunter2", secret: true });
  const state = JSON.parse(ok(e, ["stack", "export", "--stack", "qa"]));
  assert.deepEqual(state.deployment.secrets_providers, { type: "passphrase", state: { salt: rotated.encryptionsalt } });
});

test("a wrong passphrase fails with 'incorrect passphrase'; PULUMI_CONFIG_PASSPHRASE_FILE works", () => {
  const e = setup();
  ok(e, ["stack", "init", "dev"]);
  ok(e, ["config", "set", "--secret", "pw", "hunter2"]);
  const wrong = run(e, ["config", "get", "pw"], { PULUMI_CONFIG_PASSPHRASE: "nope" });
  assert.equal(wrong.code, 255);
  assert.match(wrong.stderr, /incorrect passphrase/);
  const passFile = join(e.dir, "..", "pass.txt");
  writeFileSync(passFile, "test\n");
  const env = { ...e.env };
  delete env["PULUMI_CONFIG_PASSPHRASE"];
  const r = spawnSync(process.execPath, [MAIN, "config", "get", "pw"], { cwd: e.dir, env: { ...env, PULUMI_CONFIG_PASSPHRASE_FILE: passFile }, encoding: "utf8" });
  assert.equal(r.stdout, "hunter2\n", r.stderr);
});

test("a lost Pulumi.<stack>.yaml gets its salt back from the checkpoint", () => {
  const e = setup();
  ok(e, ["stack", "init", "dev"]);
  const path = join(e.dir, "Pulumi.dev.yaml");
  const salt = (parse(readFileSync(path, "utf8")) as { encryptionsalt: string }).encryptionsalt;
  writeFileSync(path, "");
  ok(e, ["config", "set", "--secret", "k", "v"]);
  assert.equal((parse(readFileSync(path, "utf8")) as { encryptionsalt: string }).encryptionsalt, salt);
  assert.equal(ok(e, ["config", "get", "k"]), "v\n");
});

test("select --create, unselect, the ls table, cancel removing locks, about --json", () => {
  const e = setup();
  assert.equal(ok(e, ["stack", "select", "--create", "dev"]), "Created stack 'dev'\n");
  assert.equal(ok(e, ["stack", "ls"]).split("\n")[1]!.startsWith("dev*  "), true);
  assert.equal(run(e, ["stack", "unselect"]).stderr, "Stack was unselected\n");
  assert.match(run(e, ["stack", "output"]).stderr, /no stack selected; please use `pulumi stack select` to choose one/);
  assert.equal(run(e, ["stack", "select"]).stderr, "error: no stack selected; specify a stack name with --stack\n");

  const lockDir = join(e.state, ".pulumi", "locks", "organization", "p", "dev");
  mkdirSync(lockDir, { recursive: true });
  writeFileSync(join(lockDir, "abc.json"), JSON.stringify({ pid: 1, username: "u", hostname: "h", timestamp: "2026-01-01T00:00:00Z" }));
  assert.equal(ok(e, ["cancel", "--yes", "--stack", "organization/p/dev", "--non-interactive"]), "The currently running update for 'dev' has been canceled!\n");
  assert.equal(existsSync(join(lockDir, "abc.json")), false);

  const about = JSON.parse(ok(e, ["about", "--json", "--stack", "dev"]));
  assert.equal(about.backend.url, `file://${e.state}`);
  assert.equal(about.currentStack.fullyQualifiedName, "organization/p/dev");
  assert.deepEqual(about.errors, []);
});
