import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { CommandContext, displayStackName, NO_STACK_SELECTED, NO_STACK_SELECTED_OFFER_NEW, prepareOperation } from "./context.js";
import { configSet, plainValue } from "./config-value.js";

function project() {
  const root = mkdtempSync(join(tmpdir(), "ctx-"));
  const dir = join(root, "proj");
  mkdirSync(join(dir, "src"), { recursive: true });
  mkdirSync(join(root, "state"));
  writeFileSync(join(dir, "Pulumi.yaml"), "name: p\nruntime:\n  name: nodejs\n  options:\n    typescript: false\nmain: src\nconfig:\n  size: small\noptions:\n  refresh: always\n");
  const env = { PULUMI_HOME: join(root, "home"), PULUMI_BACKEND_URL: `file://${join(root, "state")}`, PULUMI_CONFIG_PASSPHRASE: "pw" };
  return { dir, env };
}

test("display names: bare inside the current project, qualified otherwise or with -Q", () => {
  const ref = { organization: "organization", project: "p", name: "dev" };
  assert.equal(displayStackName(ref, "p"), "dev");
  assert.equal(displayStackName(ref, "q"), "organization/p/dev");
  assert.equal(displayStackName(ref, "p", true), "organization/p/dev");
  assert.equal(displayStackName(ref, undefined), "organization/p/dev");
});

test("stack resolution, selection, secrets salt creation and operation inputs", async () => {
  const { dir, env } = project();
  const ctx = await CommandContext.create({ cwd: dir, env, requireProject: true });
  await assert.rejects(ctx.requireStack(undefined, { offerNew: true }), { message: NO_STACK_SELECTED_OFFER_NEW });
  await assert.rejects(ctx.requireStack(undefined), { message: NO_STACK_SELECTED });
  await assert.rejects(ctx.requireStack("organization/p/dev"), { message: "no stack named 'organization/p/dev' found" });

  const backend = await ctx.backend();
  const ref = backend.parseStackRef("dev", "p");
  await backend.createStack(ref, {});
  await ctx.selectStack(ref);
  assert.equal(await ctx.selectedStackName(), "organization/p/dev");
  const stack = await ctx.requireStack(undefined);
  assert.equal(stack.displayName, "dev");
  assert.equal(stack.settingsPath, join(dir, "Pulumi.dev.yaml"));

  // The first secret creates the salt and persists it.
  await stack.updateSettings(async (settings) => {
    const { manager, changed } = await stack.secretsManagerFor(settings);
    assert.equal(changed, true);
    configSet(settings.config, "p:pw", { value: (await manager.encrypt(["hunter2"]))[0]!, secure: true, object: false }, false);
    configSet(settings.config, "p:obj.k", plainValue("v"), true);
  });
  assert.match(readFileSync(join(dir, "Pulumi.dev.yaml"), "utf8"), /^encryptionsalt: v1:/);

  const { config, secrets } = await stack.operationConfig();
  assert.equal(secrets.type, "passphrase");
  assert.deepEqual(config, {
    "p:obj": { value: '{"k":"v"}', secret: false },
    "p:pw": { value: "hunter2", secret: true },
    "p:size": { value: "small", secret: false },
  });
  assert.deepEqual(await stack.programSource(), {
    kind: "nodejs",
    rootDirectory: dir,
    programDirectory: join(dir, "src"),
    entryPoint: ".",
    runtimeOptions: { typescript: false },
  });
  assert.equal((await stack.historyConfig())["p:pw"]!.secret, true);

  // prepareOperation from a commander action, honouring --stack.
  const program = new Command("pulumi").option("-C, --cwd <dir>");
  let captured: Awaited<ReturnType<typeof prepareOperation>> | undefined;
  program
    .command("up")
    .option("-s, --stack <s>")
    .action(async (opts: { stack?: string }, cmd: Command) => {
      captured = await prepareOperation(cmd, opts);
    });
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    await program.parseAsync(["-C", dir, "up", "--stack", "organization/p/dev"], { from: "user" });
  } finally {
    for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
    Object.assign(process.env, saved);
  }
  assert.ok(captured);
  assert.deepEqual(captured.identity, { organization: "organization", project: "p", stack: "dev" });
  assert.equal(captured.refreshAlways, true);
  assert.equal(captured.config["p:pw"]!.value, "hunter2");
  assert.equal(captured.program?.programDirectory, join(dir, "src"));
});

test("secretsManager() persists a salt created for `secretsprovider: passphrase`", async () => {
  const { dir, env } = project();
  const ctx = await CommandContext.create({ cwd: dir, env, requireProject: true });
  const backend = await ctx.backend();
  const ref = backend.parseStackRef("dev", "p");
  await backend.createStack(ref, {});
  const stack = await ctx.requireStack("dev");
  writeFileSync(stack.settingsPath, "secretsprovider: passphrase\n");
  const manager = await stack.secretsManager();
  const text = readFileSync(stack.settingsPath, "utf8");
  assert.match(text, /^encryptionsalt: v1:/);
  assert.doesNotMatch(text, /secretsprovider/);
  assert.deepEqual(manager.state, { salt: (await stack.loadSettings()).encryptionsalt });
});
