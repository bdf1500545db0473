/**
 * Workspace-level behaviour through the Automation API: several inline stacks deployed in parallel
 * from one process, concurrent stack creation and configuration in one shared workDir,
 * listStacks({ all }), refreshConfig, setAllConfigJson, and the operation options our engine
 * supports (target, replace, expectNoChanges, parallel, message, excludeProtected, preview-only
 * refresh and destroy), global options (`color`, `logFlow`, …) and whoami. (Every command's
 * acceptance of Pulumi's global flags is checked directly in cli/global-flags.cli.test.ts.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation/index.js";
import { File } from "./inline-file.js";
import { describeOnBackends, writeLocalProgram } from "./support.js";

await describeOnBackends("workspace operations", (sb) => {
  test("several inline stacks deploy in parallel from one process", async () => {
    const project = "parallel";
    const names = ["p0", "p1", "p2", "p3"];
    const clouds = names.map((n) => sb.dir(`cloud-${n}`));
    const program = async () => {
      const config = new pulumi.Config();
      const file = new File("f", { dir: config.require("dir"), content: `stack ${pulumi.getStack()} says ${config.require("word")}` });
      return { content: file.content, stack: pulumi.getStack() };
    };
    const stacks = await Promise.all(
      names.map(async (name, i) => {
        const stack = await LocalWorkspace.createOrSelectStack({ stackName: sb.stackName(project, name), projectName: project, program }, sb.options());
        await stack.setAllConfig({ dir: { value: clouds[i]! }, word: { value: `word-${i}` } });
        return stack;
      }),
    );
    const results = await Promise.all(stacks.map((s) => s.up()));
    results.forEach((r, i) => {
      assert.equal(r.summary.result, "succeeded");
      assert.deepEqual(r.summary.resourceChanges, { create: 2 });
      assert.equal(r.outputs["content"]!.value, `stack ${names[i]} says word-${i}`);
      assert.equal(r.outputs["stack"]!.value, names[i]);
      assert.equal(readdirSync(clouds[i]!).length, 1);
    });
    const all = await stacks[0]!.workspace.listStacks({ all: true });
    // Stacks of the workspace's own project are listed by bare name (on DIY), like Pulumi.
    for (const name of names) assert.ok(all.some((s) => [name, sb.stackName(project, name)].includes(s.name)), `${name} missing: ${all.map((s) => s.name).join(",")}`);
    const destroyed = await Promise.all(stacks.map((s) => s.destroy({ remove: true })));
    assert.ok(destroyed.every((d) => d.summary.resourceChanges?.["delete"] === 2));
    assert.ok(clouds.every((c) => readdirSync(c).length === 0));
    const left = (await stacks[0]!.workspace.listStacks({ all: true })).filter((s) => names.some((n) => [n, sb.stackName(project, n)].includes(s.name)));
    assert.deepEqual(left, []);
  });

  test("many stacks of one workDir created and configured concurrently keep their own settings", async () => {
    const project = "shared-dir";
    const workDir = sb.dir("shared");
    writeLocalProgram(workDir, project, { "index.js": "exports.ok = true;\n" });
    const names = ["c0", "c1", "c2", "c3", "c4", "c5"];
    const stacks = await Promise.all(names.map((n) => LocalWorkspace.createOrSelectStack({ stackName: sb.stackName(project, n), workDir }, sb.options())));
    await Promise.all(
      stacks.map((s, i) => s.setAllConfig({ index: { value: String(i) }, token: { value: `secret-${i}`, secret: true }, "deep.list[0]": { value: names[i]! } }, true)),
    );
    const configs = await Promise.all(stacks.map((s) => s.getAllConfig()));
    configs.forEach((config, i) => {
      assert.deepEqual(config[`${project}:index`], { value: String(i), secret: false });
      assert.deepEqual(config[`${project}:token`], { value: `secret-${i}`, secret: true });
      assert.deepEqual((config[`${project}:deep`] as { objectValue?: unknown }).objectValue, { list: [names[i]] });
      assert.ok(!readFileSync(join(workDir, `Pulumi.${names[i]}.yaml`), "utf8").includes(`secret-${i}`));
    });
    // setAllConfigJson takes what `pulumi config --json` prints.
    await stacks[0]!.setAllConfigJson(JSON.stringify({ [`${project}:fromJson`]: { value: "j", secret: false }, [`${project}:hidden`]: { value: "h", secret: true } }));
    assert.deepEqual(await stacks[0]!.getConfig("fromJson"), { value: "j", secret: false });
    assert.deepEqual(await stacks[0]!.getConfig("hidden"), { value: "h", secret: true });
    const listed = await stacks[0]!.workspace.listStacks();
    assert.equal(listed.length, names.length);
    await Promise.all(stacks.map((s) => s.workspace.removeStack(s.name)));
    assert.deepEqual(await stacks[0]!.workspace.listStacks(), []);
  });

  test("refreshConfig brings back the config of the last update", async () => {
    const project = "refresh-config";
    const stack = await LocalWorkspace.createOrSelectStack(
      { stackName: sb.stackName(project, "dev"), projectName: project, program: async () => ({ word: new pulumi.Config().require("word") }) },
      sb.options(),
    );
    await stack.setAllConfig({ word: { value: "deployed" }, secretWord: { value: "psst", secret: true } });
    await stack.up();
    await stack.setConfig("word", { value: "edited locally" });
    await stack.removeConfig("secretWord");
    await stack.setConfig("extra", { value: "x" });
    const refreshed = await stack.refreshConfig();
    assert.deepEqual(refreshed[`${project}:word`], { value: "deployed", secret: false });
    assert.deepEqual(refreshed[`${project}:secretWord`], { value: "psst", secret: true });
    assert.equal(refreshed[`${project}:extra`], undefined);
    await stack.destroy({ remove: true });
  });

  test("operation options: target, replace, expectNoChanges, parallel, excludeProtected, preview-only refresh and destroy", async () => {
    const project = "options";
    const cloud = sb.dir("cloud-options");
    const contents = { a: "a1", b: "b1", c: "c1" };
    const program = async () => {
      const a = new File("a", { dir: cloud, content: contents.a });
      const b = new File("b", { dir: cloud, content: contents.b });
      const c = new File("c", { dir: cloud, content: contents.c }, { protect: true });
      return { a: a.content, b: b.content, c: c.content };
    };
    const stack: Stack = await LocalWorkspace.createOrSelectStack({ stackName: sb.stackName(project, "dev"), projectName: project, program }, sb.options());
    const first = await stack.up({ parallel: 1, message: "serial first deploy", color: "never" });
    assert.deepEqual(first.summary.resourceChanges, { create: 4 });
    assert.equal(first.summary.message, "serial first deploy");
    assert.ok(!first.stdout.includes("\u001b["), "color: never leaves no escape codes");
    const urn = (name: string) => `urn:pulumi:dev::${project}::pulumi-nodejs:dynamic:Resource::${name}`;

    contents.a = "a2";
    contents.b = "b2";
    await assert.rejects(stack.preview({ expectNoChanges: true }), /no changes were expected/);
    const targeted = await stack.up({ target: [urn("a")] });
    assert.equal(targeted.summary.resourceChanges?.["update"], 1);
    assert.equal(targeted.outputs["a"]!.value, "a2");
    assert.equal(targeted.outputs["b"]!.value, "b1", "an untargeted resource is left alone");

    const replaced = await stack.up({ replace: [urn("b")], logFlow: true, logVerbosity: 1 });
    assert.equal(replaced.summary.resourceChanges?.["replace"], 1);
    assert.equal(replaced.outputs["b"]!.value, "b2");
    const clean = await stack.up({ expectNoChanges: true });
    assert.equal(clean.summary.result, "succeeded");
    // Like Pulumi, an update with changes is applied, then reported as unexpected.
    contents.c = "c2";
    await assert.rejects(stack.up({ expectNoChanges: true }), /no changes were expected but changes occurred/);
    assert.equal((await stack.outputs())["c"]!.value, "c2");

    const refreshPreview = await stack.refresh({ previewOnly: true });
    assert.equal(refreshPreview.summary.kind, "update", "a preview-only refresh records no refresh in the history");
    // Like Pulumi, a destroy (even a preview) refuses protected resources unless they are excluded.
    await assert.rejects(stack.destroy({ previewOnly: true }), /cannot be deleted\s+because it is protected/);
    const destroyPreview = await stack.destroy({ previewOnly: true, excludeProtected: true });
    assert.equal(destroyPreview.summary.kind, "update");
    assert.equal(readdirSync(cloud).length, 3, "preview-only destroy deletes nothing");

    const partial = await stack.destroy({ target: [urn("a")] });
    assert.deepEqual(partial.summary.resourceChanges, { delete: 1 });
    const kept = await stack.destroy({ excludeProtected: true });
    assert.equal(kept.summary.resourceChanges?.["delete"], 1);
    assert.equal(readdirSync(cloud).length, 1, "the protected resource survives");
    const state = await stack.exportStack();
    assert.ok((state.deployment.resources as { urn: string }[]).some((r) => r.urn === urn("c")));
  });

  test("global options on the commands that take them (rename with color and logging flags)", async () => {
    const project = "flags";
    const stack = await LocalWorkspace.createOrSelectStack(
      { stackName: sb.stackName(project, "one"), projectName: project, program: async () => ({}) },
      sb.options(),
    );
    const renamed = await stack.rename({ stackName: sb.stackName(project, "two"), color: "never", logFlow: true, logToStdErr: true, logVerbosity: 3, tracing: "file:///dev/null" });
    // A service records the rename in the stack's history (Pulumi Cloud does); the DIY backend does not.
    if (sb.backend.kind === "diy") assert.equal(renamed.summary, undefined);
    else assert.equal(renamed.summary?.kind, "rename");
    assert.equal(stack.name, sb.stackName(project, "two"));
    const ws = stack.workspace;
    await ws.setTag(stack.name, "k", "v");
    assert.equal(await ws.getTag(stack.name, "k"), "v");
    await ws.removeStack(stack.name);
  });

  test("whoami", async () => {
    const ws = await LocalWorkspace.create(sb.options());
    const who = await ws.whoAmI();
    assert.ok(who.user.length > 0);
    assert.equal(who.url, sb.backend.url);
  });
});
