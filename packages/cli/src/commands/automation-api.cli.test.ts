/**
 * The official Automation API (`@pulumi/pulumi/automation`) driving our CLI through
 * `PulumiCommand.get({ root })`: stack lifecycle, config, tags, whoami, history, export/import.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { LocalWorkspace, PulumiCommand, StackAlreadyExistsError, StackNotFoundError } from "@pulumi/pulumi/automation/index.js";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");

test("Automation API against the Stackyard CLI (no up)", async (t) => {
  const root = mkdtempSync(join(tmpdir(), "sy-auto-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const workDir = join(root, "proj");
  mkdirSync(workDir);
  mkdirSync(join(root, "state"));
  writeFileSync(join(workDir, "Pulumi.yaml"), "name: autoproj\nruntime: nodejs\n");
  const pulumiCommand = await PulumiCommand.get({ root: REPO_ROOT });
  const envVars = { PULUMI_BACKEND_URL: `file://${join(root, "state")}`, PULUMI_CONFIG_PASSPHRASE: "pass", PULUMI_HOME: join(root, "home") };
  const opts = { pulumiCommand, envVars };

  const stack = await LocalWorkspace.createOrSelectStack({ stackName: "organization/autoproj/dev", workDir }, opts);
  const ws = stack.workspace;
  await stack.setConfig("plain", { value: "hello" });
  await stack.setConfig("secret", { value: "s3cr3t", secret: true });
  await stack.setConfig("key7.subKey2", { value: "value8" }, true);
  await stack.setAllConfig({ a: { value: "1" }, b: { value: "2", secret: true } });
  assert.deepEqual(await stack.getConfig("secret"), { value: "s3cr3t", secret: true });
  assert.deepEqual(await stack.getConfig("key7.subKey2", true), { value: "value8", secret: false });
  const all = await stack.getAllConfig();
  assert.deepEqual(all["autoproj:key7"], { value: '{"subKey2":"value8"}', objectValue: { subKey2: "value8" }, secret: false });
  assert.deepEqual(all["autoproj:b"], { value: "2", secret: true });
  await stack.removeConfig("a");
  await stack.removeAllConfig(["b", "plain"]);
  assert.deepEqual(Object.keys(await stack.getAllConfig()).sort(), ["autoproj:key7", "autoproj:secret"]);

  await ws.setTag(stack.name, "owner", "me");
  assert.equal(await ws.getTag(stack.name, "owner"), "me");
  assert.deepEqual(await ws.listTags(stack.name), { owner: "me", "pulumi:project": "autoproj" });
  await ws.removeTag(stack.name, "owner");
  assert.deepEqual(await ws.listTags(stack.name), { "pulumi:project": "autoproj" });

  const who = await ws.whoAmI();
  assert.equal(who.url, envVars.PULUMI_BACKEND_URL);
  assert.ok(who.user);

  // Selecting an existing stack, creating a duplicate, selecting a missing one.
  const again = await LocalWorkspace.createOrSelectStack({ stackName: "organization/autoproj/dev", workDir }, opts);
  assert.equal(again.name, "organization/autoproj/dev");
  await LocalWorkspace.createStack({ stackName: "organization/autoproj/prod", workDir }, opts);
  await assert.rejects(LocalWorkspace.createStack({ stackName: "organization/autoproj/prod", workDir }, opts), StackAlreadyExistsError);
  await assert.rejects(LocalWorkspace.selectStack({ stackName: "organization/autoproj/missing", workDir }, opts), StackNotFoundError);

  assert.deepEqual(
    (await ws.listStacks()).map((s) => [s.name, s.current]),
    [
      ["dev", false],
      ["prod", true],
    ],
  );
  assert.equal((await ws.stack())?.name, "prod");
  await ws.selectStack("organization/autoproj/dev");
  assert.equal((await ws.stack())?.name, "dev");

  assert.deepEqual(await stack.outputs(), {});
  assert.deepEqual(await stack.history(), []);
  assert.equal(await stack.info(), undefined);
  const exported = await stack.exportStack();
  assert.equal(exported.version, 3);
  await stack.importStack(exported);
  await stack.cancel();

  await ws.removeStack("organization/autoproj/prod");
  assert.deepEqual((await ws.listStacks()).map((s) => s.name), ["dev"]);
  await assert.rejects(ws.addEnvironments(stack.name, "env1"), /does not support environments/);
});
