/**
 * A provider written with `@pulumi/pulumi/provider`, installed as a plugin under
 * $PULUMI_HOME/plugins, used by a program through custom resources of its package: create, the
 * `import` resource option, `pulumi import` by id, refresh drift, and a TypeScript program.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, TestProject, byName } from "./support.js";

/** Keeps "buckets" as JSON files in $STACKYARD_TEST_CLOUD. */
const PROVIDER_JS = `
const provider = require("@pulumi/pulumi/provider");
const fs = require("fs");
const path = require("path");
const file = (id) => path.join(process.env.STACKYARD_TEST_CLOUD, "bucket-" + id + ".json");
const log = (line) => fs.appendFileSync(path.join(process.env.STACKYARD_TEST_CLOUD, "ops.log"), line + "\\n");

log("started " + process.pid);

const bucketProvider = {
  version: "0.3.0",
  async check(urn, olds, news) {
    if (typeof news.content !== "string") return { inputs: news, failures: [{ property: "content", reason: "content must be a string" }] };
    return { inputs: news };
  },
  async diff(id, urn, olds, news) {
    const changes = olds.content !== news.content || olds.region !== news.region;
    return { changes, replaces: olds.region !== news.region ? ["region"] : [] };
  },
  async create(urn, inputs) {
    const id = urn.split("::").pop() + "-" + Math.random().toString(36).slice(2, 8);
    fs.writeFileSync(file(id), JSON.stringify(inputs));
    log("create " + id);
    return { id, outs: { ...inputs, size: inputs.content.length } };
  },
  async read(id, urn, props) {
    if (!fs.existsSync(file(id))) return { id: "", props: {} };
    const inputs = JSON.parse(fs.readFileSync(file(id), "utf8"));
    return { id, props: { ...inputs, size: inputs.content.length }, inputs };
  },
  async update(id, urn, olds, news) {
    fs.writeFileSync(file(id), JSON.stringify(news));
    log("update " + id);
    return { outs: { ...news, size: news.content.length } };
  },
  async delete(id) {
    fs.rmSync(file(id), { force: true });
    log("delete " + id);
  },
};
provider.main(bucketProvider, process.argv.slice(2));
`;

const BUCKET_TS = `
import * as pulumi from "@pulumi/pulumi";

export interface BucketArgs {
  content: pulumi.Input<string>;
  region?: pulumi.Input<string>;
}

export class Bucket extends pulumi.CustomResource {
  public readonly content!: pulumi.Output<string>;
  public readonly size!: pulumi.Output<number>;
  constructor(name: string, args: BucketArgs, opts?: pulumi.CustomResourceOptions) {
    super("yard:index:Bucket", name, { ...args, size: undefined }, opts);
  }
}
`;

function program(v: { mainContent: string; adoptId?: string }): string {
  return `
import * as pulumi from "@pulumi/pulumi";
import { Bucket } from "./bucket";

const main = new Bucket("main", { content: ${JSON.stringify(v.mainContent)}, region: "north" });
${v.adoptId ? `const adopted = new Bucket("adopted", { content: "already there", region: "north" }, { import: ${JSON.stringify(v.adoptId)} });` : ""}
export const mainSize: pulumi.Output<number> = main.size;
export const mainId = main.id;
`;
}

/** The plugin: an executable script in $PULUMI_HOME/plugins/resource-yard-v0.3.0/. */
function installYardPlugin(home: string): void {
  const dir = join(home, "plugins", "resource-yard-v0.3.0");
  mkdirSync(dir, { recursive: true });
  symlinkSync(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  writeFileSync(join(dir, "provider.js"), PROVIDER_JS);
  writeFileSync(join(dir, "pulumi-resource-yard"), `#!/bin/sh\nexec "${process.execPath}" "$(dirname "$0")/provider.js" "$@"\n`);
  chmodSync(join(dir, "pulumi-resource-yard"), 0o755);
}

/**
 * A provider SDK package declaring its plugin, beside the project's own node_modules (a link to the
 * workspace's), where Node looks next.
 */
function installSdkPackage(project: TestProject, name: string, pulumi: { resource: boolean; name: string; version: string }): void {
  const dir = join(project.root, "node_modules", ...name.split("/"));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, version: pulumi.version, pulumi }));
}

let p: TestProject;
before(async () => {
  p = new TestProject("plugins", { "index.ts": program({ mainContent: "hello" }), "bucket.ts": BUCKET_TS }, {
    packageJson: { name: "plugins", main: "index.ts", devDependencies: { typescript: "*" } },
  });
  installYardPlugin(p.home);
  await p.init();
});
after(() => p?.cleanup());

const bucketFile = (id: string) => join(p.cloud, `bucket-${id}.json`);

test("a TypeScript program creates and updates plugin resources", async () => {
  await p.up();
  assert.deepEqual(await p.lastChanges(), { create: 2 });
  const outputs = JSON.parse((await p.pulumi(["stack", "output", "--json"])).stdout) as { mainSize: number; mainId: string };
  assert.equal(outputs.mainSize, 5);
  const resources = await p.resources();
  const main = byName(resources, "main");
  assert.equal(main.type, "yard:index:Bucket");
  assert.ok(resources.some((r) => r.type === "pulumi:providers:yard"));
  assert.deepEqual(JSON.parse(readFileSync(bucketFile(outputs.mainId), "utf8")), { content: "hello", region: "north" });

  p.write("index.ts", program({ mainContent: "hello, world" }));
  await p.up();
  assert.deepEqual(await p.lastChanges(), { same: 1, update: 1 });
  assert.equal(byName(await p.resources(), "main").outputs?.["size"], 12);
});

test("the import option adopts an existing resource by id", async () => {
  writeFileSync(bucketFile("pre-1"), JSON.stringify({ content: "already there", region: "north" }));
  p.write("index.ts", program({ mainContent: "hello, world", adoptId: "pre-1" }));
  await p.up();
  assert.deepEqual(await p.lastChanges(), { same: 2, import: 1 });
  const adopted = byName(await p.resources(), "adopted");
  assert.equal(adopted.id, "pre-1");
  assert.equal(adopted.outputs?.["size"], 13);
  assert.ok(!p.ops().some((l) => l.includes("pre-1")), "importing must not create or update");
});

test("refresh detects drift of a plugin resource", async () => {
  writeFileSync(bucketFile("pre-1"), JSON.stringify({ content: "changed outside", region: "north" }));
  await p.pulumi(["refresh", "--yes", "--skip-preview"]);
  assert.deepEqual(await p.lastChanges(), { same: 2, update: 1 });
  assert.equal(byName(await p.resources(), "adopted").outputs?.["content"], "changed outside");
});

test("pulumi import adopts a resource by type, name and id", async () => {
  writeFileSync(bucketFile("pre-2"), JSON.stringify({ content: "from the cli", region: "south" }));
  const out = await p.pulumi(["import", "yard:index:Bucket", "cli-adopted", "pre-2", "--yes", "--protect=false"]);
  assert.match(out.stdout, /yard:index:Bucket/);
  assert.match(out.stdout, /cli-adopted/);
  assert.equal((await p.lastChanges())["import"], 1);
  const adopted = byName(await p.resources(), "cli-adopted");
  assert.equal(adopted.id, "pre-2");
  assert.deepEqual(adopted.inputs, { content: "from the cli", region: "south" });
  assert.ok(!adopted.protect);
});

test("destroy calls the plugin's delete for every bucket", async () => {
  p.clearOps();
  await p.pulumi(["destroy", "--yes", "--skip-preview"]);
  const deletes = p.ops().filter((l) => l.startsWith("delete ")).length;
  assert.equal(deletes, 3);
  assert.deepEqual(await p.resources(), []);
});

test("the plugins a program's provider SDK dependencies declare start with the program", async () => {
  // Like Pulumi's language host reporting required plugins: a dependency whose package.json says
  // `"pulumi": {"resource": true}` has its plugin loaded up front, used or not; a declared plugin
  // that is not installed does not stop an update that never uses it.
  const q = new TestProject("required-plugins", { "index.js": "exports.answer = 42;\n" }, {
    packageJson: { name: "required-plugins", main: "index.js", dependencies: { "@yard/sdk": "0.3.0", "@ghost/sdk": "1.0.0" } },
  });
  try {
    installYardPlugin(q.home);
    installSdkPackage(q, "@yard/sdk", { resource: true, name: "yard", version: "0.3.0" });
    installSdkPackage(q, "@ghost/sdk", { resource: true, name: "ghost", version: "1.0.0" });
    await q.init();
    await q.up();
    const ops = readFileSync(join(q.cloud, "ops.log"), "utf8").split("\n").filter((l) => l.startsWith("started "));
    assert.equal(ops.length, 1, "the yard plugin started once");
    assert.deepEqual(await q.lastChanges(), { create: 1 });
  } finally {
    q.cleanup();
  }
});

test("a resource that names no version gets its SDK's declared version for its default provider", async () => {
  // As Pulumi's engine does: the default provider is `default_0_3_0`, not `default`, so either CLI
  // reads the other's state without a provider change, and the plugin started with the program serves it.
  const q = new TestProject("unversioned", {
    "index.js": 'const pulumi = require("@pulumi/pulumi");\nnew pulumi.CustomResource("yard:index:Bucket", "plain", { content: "no version named" });\n',
  }, { packageJson: { name: "unversioned", main: "index.js", dependencies: { "@yard/sdk": "0.3.0" } } });
  try {
    installYardPlugin(q.home);
    installSdkPackage(q, "@yard/sdk", { resource: true, name: "yard", version: "0.3.0" });
    await q.init();
    await q.up();
    const resources = await q.resources();
    const provider = resources.find((r) => r.type === "pulumi:providers:yard");
    assert.equal(provider?.urn, q.urn("pulumi:providers:yard", "default_0_3_0"));
    assert.equal(provider?.inputs?.["version"], "0.3.0");
    assert.ok(byName(resources, "plain").provider?.startsWith(`${provider?.urn}::`));
    const starts = readFileSync(join(q.cloud, "ops.log"), "utf8").split("\n").filter((l) => l.startsWith("started "));
    assert.equal(starts.length, 1, "the plugin started with the program is the one used");
  } finally {
    q.cleanup();
  }
});
