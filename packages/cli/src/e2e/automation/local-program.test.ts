/**
 * A local program (a workDir with Pulumi.yaml, package.json and a dynamic-provider JS program) driven
 * through `LocalWorkspace.createOrSelectStack({ workDir })`: structured config with `path: true`,
 * setAllConfig, secrets, a `--config-file` (configFile option), tags, listStacks, export/import of
 * the state, rename, and removal.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation/index.js";
import { describeOnBackends, writeLocalProgram } from "./support.js";

const PROJECT = "local-site";

const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { File } = require("./file-provider");
const config = new pulumi.Config();
const site = config.requireObject("site");
const cloud = config.require("cloud");
const files = site.pages.map((page, i) => new File("page-" + i, { dir: cloud, content: site.title + ": " + page }));
exports.title = site.title;
exports.pageIds = files.map((f) => f.id);
exports.apiKey = config.requireSecret("apiKey");
exports.region = config.get("region") || "none";
`;

await describeOnBackends("local program", (sb) => {
  const workDir = sb.dir("program");
  const cloud = sb.dir("cloud");
  writeLocalProgram(workDir, PROJECT, { "index.js": PROGRAM });
  let stack: Stack;

  test("structured config with path: true, setAllConfig, secrets", async () => {
    stack = await LocalWorkspace.createOrSelectStack({ stackName: sb.stackName(PROJECT, "dev"), workDir }, sb.options());
    await stack.setConfig("site.title", { value: "Home" }, true);
    await stack.setConfig("site.pages[0]", { value: "welcome" }, true);
    await stack.setAllConfig({ "site.pages[1]": { value: "about" }, "site.owner.name": { value: "ops" } }, true);
    await stack.setAllConfig({ cloud: { value: cloud }, apiKey: { value: "k3y-s3cr3t", secret: true } });
    assert.deepEqual(await stack.getConfig("site.pages[1]", true), { value: "about", secret: false });
    assert.deepEqual(await stack.getConfig("apiKey"), { value: "k3y-s3cr3t", secret: true });
    const all = await stack.getAllConfig();
    assert.deepEqual((all[`${PROJECT}:site`] as { objectValue?: unknown }).objectValue, { title: "Home", pages: ["welcome", "about"], owner: { name: "ops" } });
    assert.equal(all[`${PROJECT}:apiKey`]!.secret, true);
    // The secret is stored encrypted in Pulumi.dev.yaml (passphrase) or by the service.
    const settingsText = readFileSync(join(workDir, "Pulumi.dev.yaml"), "utf8");
    assert.ok(!settingsText.includes("k3y-s3cr3t"), "secret config stored in plaintext");
    const settings = await stack.workspace.stackSettings(stack.name);
    assert.deepEqual(settings.config?.[`${PROJECT}:site`], { title: "Home", pages: ["welcome", "about"], owner: { name: "ops" } });
    await stack.removeConfig("site.owner", true);
    await stack.setConfig("temp", { value: "x" });
    await stack.removeAllConfig(["temp"]);
    assert.deepEqual(Object.keys(await stack.getAllConfig()).sort(), [`${PROJECT}:apiKey`, `${PROJECT}:cloud`, `${PROJECT}:site`]);
  });

  test("up, outputs with secrets, preview after up, history environment", async () => {
    const preview = await stack.preview();
    assert.deepEqual(preview.changeSummary, { create: 3 });
    const output: string[] = [];
    const up = await stack.up({ onOutput: (s) => output.push(s) });
    assert.match(output.join(""), /\+ 3 created/);
    assert.deepEqual(up.summary.resourceChanges, { create: 3 });
    assert.equal(up.summary.environment["exec.kind"], "auto.local");
    assert.deepEqual(up.outputs["apiKey"], { value: "k3y-s3cr3t", secret: true });
    assert.equal(up.outputs["title"]!.value, "Home");
    assert.equal(up.outputs["region"]!.value, "none");
    const ids = up.outputs["pageIds"]!.value as string[];
    assert.deepEqual(
      ids.map((id) => JSON.parse(readFileSync(join(cloud, `${id}.json`), "utf8")).content),
      ["Home: welcome", "Home: about"],
    );
    assert.deepEqual((await stack.preview()).changeSummary, { same: 3 });
  });

  test("configFile: an operation reads its config from another file", async () => {
    const alt = join(sb.root, "alt-config.yaml");
    const current = readFileSync(join(workDir, "Pulumi.dev.yaml"), "utf8");
    // Same salt and secrets, one more key: the program sees the alternate file only.
    writeFileSync(alt, `${current.trimEnd()}\n  ${PROJECT}:region: west\n`.replace(/\nconfig:\n/, "\nconfig:\n"));
    const preview = await stack.preview({ configFile: alt });
    assert.deepEqual(preview.changeSummary, { same: 3 });
    const up = await stack.up({ configFile: alt });
    assert.equal(up.outputs["region"]!.value, "west");
    assert.equal((await stack.up()).outputs["region"]!.value, "none");
  });

  test("tags, listStacks, several stacks of one project", async () => {
    const ws = stack.workspace;
    await ws.setTag(stack.name, "team", "web");
    assert.equal(await ws.getTag(stack.name, "team"), "web");
    const tags = await ws.listTags(stack.name);
    assert.equal(tags["team"], "web");
    assert.equal(tags["pulumi:project"], PROJECT);
    await ws.removeTag(stack.name, "team");
    assert.equal((await ws.listTags(stack.name))["team"], undefined);

    const prod = await LocalWorkspace.createStack({ stackName: sb.stackName(PROJECT, "prod"), workDir }, sb.options());
    const listed = await ws.listStacks();
    // The owner is elided too: the stacks belong to the default organization (as in Pulumi).
    assert.deepEqual(listed.map((s) => s.name).sort(), ["dev", "prod"]);
    assert.equal(listed.find((s) => s.current)?.name, listed.find((s) => s.name.endsWith("prod"))?.name);
    const dev = listed.find((s) => s.name.endsWith("dev"))!;
    assert.equal(dev.resourceCount, 4);
    assert.ok(dev.lastUpdate && !Number.isNaN(Date.parse(dev.lastUpdate)));
    await ws.selectStack(stack.name);
    assert.ok((await ws.stack())?.name.endsWith("dev"));
    await ws.removeStack(prod.name);
    assert.equal((await ws.listStacks()).length, 1);
  });

  test("exportStack/importStack round-trip the state", async () => {
    const exported = await stack.exportStack();
    assert.equal(exported.version, 3);
    const resources = exported.deployment.resources as { urn: string; type: string; outputs?: Record<string, unknown> }[];
    assert.equal(resources.filter((r) => r.type === "pulumi-nodejs:dynamic:Resource").length, 2);
    // Drop one page from the state: the next preview wants to create it again.
    const page1 = resources.find((r) => r.urn.endsWith("::page-1"))!;
    await stack.importStack({ ...exported, deployment: { ...exported.deployment, resources: resources.filter((r) => r !== page1) } });
    assert.deepEqual((await stack.preview()).changeSummary, { same: 2, create: 1 });
    await stack.importStack(exported);
    assert.deepEqual((await stack.preview()).changeSummary, { same: 3 });
    // Secrets come back decrypted in an export (it is --show-secrets).
    assert.ok(JSON.stringify(await stack.exportStack()).includes("k3y-s3cr3t"));
  });

  test("rename, then destroy and remove the renamed stack", async () => {
    const renamed = await stack.rename({ stackName: sb.stackName(PROJECT, "staging") });
    // The stack keeps its history under the new name.
    assert.equal(renamed.summary?.result, "succeeded");
    assert.equal(stack.name, sb.stackName(PROJECT, "staging"));
    assert.ok(existsSync(join(workDir, "Pulumi.staging.yaml")), "rename moves the stack's config file");
    const names = (await stack.workspace.listStacks()).map((s) => s.name);
    assert.ok(names.some((n) => n.endsWith("staging")) && !names.some((n) => n.endsWith("dev")), names.join(","));
    const staging = await LocalWorkspace.selectStack({ stackName: sb.stackName(PROJECT, "staging"), workDir }, sb.options());
    assert.equal((await staging.outputs())["title"]!.value, "Home");
    const destroyed = await staging.destroy({ remove: true });
    assert.deepEqual(destroyed.summary.resourceChanges, { delete: 3 });
    assert.deepEqual(readdirSync(cloud), []);
    assert.deepEqual(await staging.workspace.listStacks(), []);
  });
});
