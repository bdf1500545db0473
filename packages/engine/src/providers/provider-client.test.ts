import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { GrpcStatus } from "../rpc/grpc-status.js";
import { startPlugin } from "./plugin-process.js";
import { ProviderClient, ProviderRpcError, ResourceInitError } from "./provider-client.js";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");

// A provider written with the SDK's own `@pulumi/pulumi/provider`, so the server side (grpc-js, and
// the way the SDK packs errors into status details) is exactly what plugins run.
const PROVIDER = `
const provider = require("@pulumi/pulumi/provider");
provider.main({
  version: "2.3.4",
  async check(urn, olds, news) { return { inputs: { ...news, checked: true } }; },
  async create(urn, inputs) {
    if (inputs.fail === "init") {
      throw Object.assign(new Error("the thing was made but will not start"), { id: "half-1", properties: { size: 3 }, reasons: ["crash loop", "no quota"] });
    }
    if (inputs.fail === "plain") throw new Error("refused: 100% full — try later");
    return { id: "id-" + inputs.name, outs: { ...inputs, made: true } };
  },
}, process.argv.slice(2));
`;

async function withProvider(body: (client: ProviderClient) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "sy-provider-client-"));
  symlinkSync(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  writeFileSync(join(dir, "provider.js"), PROVIDER);
  const plugin = await startPlugin(
    { command: process.execPath, args: [join(dir, "provider.js"), "127.0.0.1:1"], cwd: dir, env: process.env, displayName: "provider.js" },
    () => undefined,
  );
  const client = new ProviderClient("thing", `127.0.0.1:${plugin.port}`);
  try {
    await client.waitForReady(10_000);
    await body(client);
  } finally {
    client.close();
    plugin.kill();
    await plugin.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

const URN = "urn:pulumi:dev::p::thing:index:Thing::a";

test("talks to a provider built on @pulumi/pulumi/provider: info, configure, check, create", async () => {
  await withProvider(async (client) => {
    assert.equal(await client.getPluginVersion(), "2.3.4");
    // The SDK's provider server does not implement CheckConfig; that is an answer, not a failure.
    assert.equal(await client.checkConfig(URN, "a", "thing:index:Thing", {}, {}), undefined);
    const caps = await client.configure({}, {}, { urn: "urn:pulumi:dev::p::pulumi:providers:thing::default", name: "default", type: "pulumi:providers:thing", id: "p1" });
    assert.equal(caps.acceptSecrets, true);
    const checked = await client.check(URN, "a", "thing:index:Thing", undefined, { name: "a", tags: ["x", "é"] }, new Uint8Array(32));
    assert.deepEqual(checked, { inputs: { name: "a", tags: ["x", "é"], checked: true }, failures: [] });
    const created = await client.create({ urn: URN, name: "a", type: "thing:index:Thing", properties: checked.inputs, timeout: 0, preview: false });
    assert.deepEqual(created, { id: "id-a", properties: { name: "a", tags: ["x", "é"], checked: true, made: true } });
  });
});

test("a create that half-succeeded comes back as a ResourceInitError with the provider's id, state and reasons", async () => {
  await withProvider(async (client) => {
    await assert.rejects(client.create({ urn: URN, name: "a", type: "thing:index:Thing", properties: { fail: "init" }, timeout: 0, preview: false }), (err: unknown) => {
      assert.ok(err instanceof ResourceInitError, String(err));
      assert.equal(err.message, "the thing was made but will not start");
      assert.equal(err.id, "half-1");
      assert.deepEqual(err.properties, { size: 3 });
      assert.deepEqual(err.reasons, ["crash loop", "no quota"]);
      return true;
    });
    await assert.rejects(client.create({ urn: URN, name: "a", type: "thing:index:Thing", properties: { fail: "plain" }, timeout: 0, preview: false }), (err: unknown) => {
      assert.ok(err instanceof ProviderRpcError, String(err));
      assert.equal(err.message, "refused: 100% full — try later");
      assert.equal(err.code, GrpcStatus.UNKNOWN);
      return true;
    });
  });
});
