/**
 * Plugins and import through the Automation API: a resource provider plugin (written with
 * `@pulumi/pulumi/provider`) served as a tarball by a local HTTP server and installed with
 * `installPluginFromServer`, listed, removed, installed again with `plugin install --file`
 * (through the same CLI the workspace uses), then `stack.import` with resource definitions and
 * generated code, and a program that manages the imported resource.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { promisify } from "node:util";
import { LocalWorkspace } from "@pulumi/pulumi/automation/index.js";
import { REPO_ROOT, describeOnBackends, writeLocalProgram } from "./support.js";

const PROVIDER_JS = `
const provider = require(${JSON.stringify(join(REPO_ROOT, "node_modules", "@pulumi", "pulumi", "provider"))});
const fs = require("fs");
const path = require("path");
const file = (id) => path.join(process.env.YARD_CLOUD, "bucket-" + id + ".json");
provider.main({
  version: "0.4.0",
  async check(urn, olds, news) { return { inputs: news }; },
  async diff(id, urn, olds, news) { return { changes: olds.content !== news.content }; },
  async create(urn, inputs) {
    const id = urn.split("::").pop();
    fs.writeFileSync(file(id), JSON.stringify(inputs));
    return { id, outs: inputs };
  },
  async read(id, urn, props) {
    if (!fs.existsSync(file(id))) return { id: "", props: {} };
    const inputs = JSON.parse(fs.readFileSync(file(id), "utf8"));
    return { id, props: inputs, inputs };
  },
  async update(id, urn, olds, news) { fs.writeFileSync(file(id), JSON.stringify(news)); return { outs: news }; },
  async delete(id) { fs.rmSync(file(id), { force: true }); },
}, process.argv.slice(2));
`;

const GO_OS = process.platform;
const GO_ARCH = process.arch === "x64" ? "amd64" : process.arch;

await describeOnBackends("plugins and import", (sb) => {
  const cloud = sb.dir("cloud");
  let server: Server;
  let serverUrl = "";
  const requests: string[] = [];
  let tarball = "";

  test("installPluginFromServer downloads from a local server; listPlugins and removePlugin", async () => {
    // The plugin as Pulumi publishes it: a tarball holding the `pulumi-resource-<name>` executable.
    const pkg = sb.dir("plugin-src");
    writeFileSync(join(pkg, "provider.js"), PROVIDER_JS);
    writeFileSync(join(pkg, "pulumi-resource-yard"), `#!/bin/sh\nexec "${process.execPath}" "$(dirname "$0")/provider.js" "$@"\n`);
    chmodSync(join(pkg, "pulumi-resource-yard"), 0o755);
    tarball = join(sb.root, `pulumi-resource-yard-v0.4.0-${GO_OS}-${GO_ARCH}.tar.gz`);
    assert.equal(spawnSync("tar", ["-czf", tarball, "-C", pkg, "."]).status, 0);
    server = createServer((req, res) => {
      requests.push(req.url ?? "");
      if (req.url === `/releases/pulumi-resource-yard-v0.4.0-${GO_OS}-${GO_ARCH}.tar.gz`) res.end(readFileSync(tarball));
      else res.writeHead(404).end("not found");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const address = server.address();
    serverUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/releases`;

    const ws = await LocalWorkspace.create(sb.options());
    await ws.installPluginFromServer("yard", "v0.4.0", serverUrl);
    assert.deepEqual(requests, [`/releases/pulumi-resource-yard-v0.4.0-${GO_OS}-${GO_ARCH}.tar.gz`]);
    const plugins = await ws.listPlugins();
    const yard = plugins.find((p) => p.name === "yard");
    assert.ok(yard, JSON.stringify(plugins));
    assert.equal(yard.kind, "resource");
    assert.equal(yard.version, "0.4.0");
    assert.ok(yard.size > 0);
    assert.ok(existsSync(join(sb.home, "plugins", "resource-yard-v0.4.0", "pulumi-resource-yard")));
    // Installed already: no second download.
    await ws.installPluginFromServer("yard", "0.4.0", serverUrl);
    assert.equal(requests.length, 1);
    await assert.rejects(ws.installPluginFromServer("nothere", "1.0.0", serverUrl), /404/);
    await ws.removePlugin("yard", "0.4.0", "resource");
    assert.ok(!(await ws.listPlugins()).some((p) => p.name === "yard"));
  });

  test("plugin install --file, then stack.import with resource definitions and generated code", async () => {
    // `--file` has no workspace method; run it with the CLI the workspace uses.
    const install = await promisify(execFile)(sb.pulumiCommand.command, ["plugin", "install", "resource", "yard", "0.4.0", "--file", tarball], {
      env: { ...process.env, ...sb.envVars },
    });
    assert.ok(install);
    const ws = await LocalWorkspace.create(sb.options());
    assert.ok((await ws.listPlugins()).some((p) => p.name === "yard" && p.version === "0.4.0"));
    server.close();

    const project = "importer";
    const workDir = sb.dir("importer");
    writeLocalProgram(workDir, project, {
      "index.js": `
const pulumi = require("@pulumi/pulumi");
class Bucket extends pulumi.CustomResource {
  constructor(name, args, opts) { super("yard:index:Bucket", name, args, opts); }
}
const legacy = new Bucket("legacy", { content: "made by hand" }, { protect: false });
exports.legacyId = legacy.id;
`,
    });
    const stack = await LocalWorkspace.createOrSelectStack({ stackName: sb.stackName(project, "dev"), workDir }, sb.options({ envVars: { YARD_CLOUD: cloud } }));
    writeFileSync(join(cloud, "bucket-legacy.json"), JSON.stringify({ content: "made by hand" }));
    const imported = await stack.import({ resources: [{ type: "yard:index:Bucket", name: "legacy", id: "legacy" }], protect: false });
    assert.match(imported.generatedCode, /yard:index:Bucket|new yard\.index\.Bucket|Bucket/);
    assert.match(imported.generatedCode, /made by hand/);
    // The Pulumi CLI runs a resource import on a service as an update (there is no import endpoint).
    assert.equal(imported.summary.kind, sb.backend.kind === "diy" ? "resource-import" : "update");
    assert.deepEqual(imported.summary.resourceChanges, { create: 1, import: 1 });
    // The program that declares the imported resource has nothing to do.
    const up = await stack.up();
    assert.deepEqual(up.summary.resourceChanges, { same: 2 });
    assert.equal(up.outputs["legacyId"]!.value, "legacy");
    const destroyed = await stack.destroy({ remove: true });
    assert.deepEqual(destroyed.summary.resourceChanges, { delete: 2 });
    assert.ok(!existsSync(join(cloud, "bucket-legacy.json")));
  });
});
