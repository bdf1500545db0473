import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import type { DeploymentV3, VersionedCheckpoint } from "@stackyard/protocol";
import { ConcurrentUpdateError, StackAlreadyExistsError, StackNotFoundError } from "../backend.js";
import { openDiyBackend, parseDiyUrl } from "./index.js";
import { META, createEntries, openTemp, ref, resource, stackUrn, tempDir } from "./test-support.js";

const STACKS_PATTERN = /stack.*already exists/;

test("file:// URLs resolve ~, absolute and relative roots", () => {
  assert.equal(parseDiyUrl("file://~").root, homedir());
  assert.equal(parseDiyUrl("file://~/state").root, join(homedir(), "state"));
  assert.equal(parseDiyUrl("file:///var/state").root, "/var/state");
  assert.equal(parseDiyUrl("file://rel/dir", "/base").root, "/base/rel/dir");
  assert.equal(parseDiyUrl("file:///var/state").canonicalUrl, "file:///var/state?no_tmp_dir=true");
  assert.throws(() => parseDiyUrl("s3://bucket"), /illegal prefix/);
});

test("opening a fresh directory writes meta.yaml version 1; a missing directory is refused", async (t) => {
  const { dir } = await openTemp(t);
  assert.equal(readFileSync(join(dir, ".pulumi", "meta.yaml"), "utf8"), "version: 1\n");
  await assert.rejects(openDiyBackend(`file://${join(dir, "nope")}`, { env: {} }), /unable to open bucket/);
  const rel = await openDiyBackend("file://.", { env: {}, cwd: dir });
  assert.equal(rel.root, resolve(dir));
  const future = tempDir(t);
  mkdirSync(join(future, ".pulumi"));
  writeFileSync(join(future, ".pulumi", "meta.yaml"), "version: 2\n");
  await assert.rejects(
    openDiyBackend(`file://${future}`, { env: {} }),
    /state store unsupported: 'meta.yaml' version \(2\) is not supported by this version of the Pulumi CLI/,
  );
});

test("stack references follow Pulumi's DIY rules", async (t) => {
  const { backend } = await openTemp(t);
  assert.deepEqual(backend.parseStackRef("dev", "proj"), ref("proj", "dev"));
  assert.deepEqual(backend.parseStackRef("organization/dev", "proj"), ref("proj", "dev"));
  assert.deepEqual(backend.parseStackRef("organization/other/dev", "proj"), ref("other", "dev"));
  assert.throws(() => backend.parseStackRef("acme/proj/dev", "proj"), /^Error: organization name must be 'organization'$/);
  assert.throws(() => backend.parseStackRef("dev", undefined), /pass the fully qualified name \(organization\/project\/stack\)/);
  assert.throws(
    () => backend.parseStackRef("organization/proj/my stack", undefined),
    /a stack name may only contain alphanumeric, hyphens, underscores, or periods: invalid character ' ' at position 2/,
  );
  assert.throws(() => backend.parseStackRef("a/b/c/d", "p"), /a stack name may not be empty/);
});

test("create, get, list with a project filter, and duplicate creation", async (t) => {
  const { dir, backend } = await openTemp(t);
  await backend.createStack(ref("alpha", "dev"), {});
  await backend.createStack(ref("alpha", "prod"), { tags: { team: "infra" } });
  await backend.createStack(ref("beta", "dev"), {});

  const file = JSON.parse(readFileSync(join(dir, ".pulumi/stacks/alpha/dev.json"), "utf8")) as VersionedCheckpoint;
  assert.deepEqual(file, { version: 3, checkpoint: { stack: "organization/alpha/dev" } });

  const err = await backend.createStack(ref("alpha", "dev"), {}).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof StackAlreadyExistsError);
  assert.match(err.message, STACKS_PATTERN);
  assert.equal(err.message, "stack 'organization/alpha/dev' already exists");

  assert.deepEqual((await backend.getStack(ref("alpha", "dev")))?.ref, ref("alpha", "dev"));
  assert.equal(await backend.getStack(ref("alpha", "missing")), undefined);

  const all = await backend.listStacks({});
  assert.deepEqual(
    all.map((s) => `${s.ref.project}/${s.ref.name}`),
    ["alpha/dev", "alpha/prod", "beta/dev"],
  );
  const alpha = await backend.listStacks({ project: "alpha" });
  assert.deepEqual(alpha.map((s) => s.ref.name), ["dev", "prod"]);
  const tagged = await backend.listStacks({ tag: { name: "team", value: "infra" } });
  assert.deepEqual(tagged.map((s) => s.ref.name), ["prod"]);
  assert.equal(all[0]!.resourceCount, undefined, "a never-deployed stack has no resource count");
});

test("missing stacks raise StackNotFoundError with Pulumi's text", async (t) => {
  const { backend } = await openTemp(t);
  const r = ref("p", "ghost");
  for (const op of [
    () => backend.exportDeployment(r),
    () => backend.getTags(r),
    () => backend.history(r),
    () => backend.beginUpdate(r, "update", META),
    () => backend.removeStack(r, false),
  ]) {
    await assert.rejects(op(), (e: unknown) => {
      assert.ok(e instanceof StackNotFoundError);
      assert.match((e as Error).message, /no stack named.*found/);
      return true;
    });
  }
});

test("tags: system pulumi:project tag, round trip, file format", async (t) => {
  const { dir, backend } = await openTemp(t);
  const r = ref("proj", "dev");
  await backend.createStack(r, {});
  assert.deepEqual(await backend.getTags(r), { "pulumi:project": "proj" });
  await backend.setTags(r, { owner: "me", "pulumi:project": "proj", env: "dev" });
  assert.deepEqual(await backend.getTags(r), { owner: "me", "pulumi:project": "proj", env: "dev" });
  const text = readFileSync(join(dir, ".pulumi/stacks/proj/dev.pulumi-tags"), "utf8");
  assert.equal(
    text,
    '{\n    "version": 1,\n    "tags": {\n        "env": "dev",\n        "owner": "me",\n        "pulumi:project": "proj"\n    }\n}',
  );
});

test("export/import round trip, version 4 with features, and schema checks", async (t) => {
  const { dir, backend } = await openTemp(t);
  const r = ref("proj", "dev");
  await backend.createStack(r, {});
  const empty = await backend.exportDeployment(r);
  assert.equal(empty.version, 3);
  assert.equal(empty.deployment.manifest.time, "0001-01-01T00:00:00Z");

  const deployment: DeploymentV3 = {
    manifest: { time: "2026-01-01T00:00:00Z", magic: "", version: "" },
    resources: [{ ...resource("proj", "dev", 0), taint: true }],
  };
  await backend.importDeployment(r, { version: 4, features: ["taint"], deployment });
  const exported = await backend.exportDeployment(r);
  assert.deepEqual(exported, { version: 4, features: ["taint"], deployment });
  const file = JSON.parse(readFileSync(join(dir, ".pulumi/stacks/proj/dev.json"), "utf8")) as VersionedCheckpoint;
  assert.equal(file.version, 4);
  assert.deepEqual(file.features, ["taint"]);
  // The import backed up what it replaced.
  assert.ok(existsSync(join(dir, ".pulumi/stacks/proj/dev.json.bak")));

  await assert.rejects(
    backend.importDeployment(r, { version: 5, deployment }),
    /the stack 'dev' is newer than what this version of the Pulumi CLI understands/,
  );
  await assert.rejects(
    backend.importDeployment(r, { version: 4, features: ["teleport"], deployment }),
    /optional features are not supported: teleport/,
  );
});

test("rename moves state, history and tags and rewrites URNs including the project", async (t) => {
  const { dir, backend } = await openTemp(t);
  const r = ref("proj", "dev");
  await backend.createStack(r, { tags: { owner: "me" } });
  const session = await backend.beginUpdate(r, "update", META);
  const stackRes = { urn: stackUrn("proj", "dev"), custom: false, type: "pulumi:pulumi:Stack" };
  await session.journal.append({
    version: 1, kind: 1, sequenceID: 1, operationID: 1, removeOld: null, removeNew: null, state: stackRes,
  });
  const provider = {
    urn: "urn:pulumi:dev::proj::pulumi:providers:test::default",
    custom: true,
    id: "prov-id",
    type: "pulumi:providers:test",
  };
  await session.journal.append({
    version: 1, kind: 1, sequenceID: 2, operationID: 2, removeOld: null, removeNew: null, state: provider,
  });
  const child = {
    ...resource("proj", "dev", 0),
    provider: `${provider.urn}::prov-id`,
    propertyDependencies: { a: [stackUrn("proj", "dev")] },
  };
  await session.journal.append({
    version: 1, kind: 1, sequenceID: 3, operationID: 3, removeOld: null, removeNew: null, state: child,
  });
  await session.complete("succeeded", { create: 3 });

  await assert.rejects(backend.renameStack(r, r), /a stack named organization\/proj\/dev already exists/);
  const target = ref("newproj", "staging");
  await backend.renameStack(r, target);

  assert.equal(await backend.getStack(r), undefined);
  assert.ok(existsSync(join(dir, ".pulumi/stacks/proj/dev.json.bak")), "old file is kept as .bak");
  const exported = await backend.exportDeployment(target);
  const urns = exported.deployment.resources!.map((x) => x.urn);
  assert.deepEqual(urns, [
    "urn:pulumi:staging::newproj::pulumi:pulumi:Stack::newproj-staging",
    "urn:pulumi:staging::newproj::pulumi:providers:test::default",
    "urn:pulumi:staging::newproj::test:index:Thing::thing-0",
  ]);
  const renamedChild = exported.deployment.resources![2]!;
  assert.equal(renamedChild.parent, "urn:pulumi:staging::newproj::pulumi:pulumi:Stack::newproj-staging");
  assert.equal(renamedChild.provider, "urn:pulumi:staging::newproj::pulumi:providers:test::default::prov-id");
  assert.deepEqual(renamedChild.propertyDependencies, { a: ["urn:pulumi:staging::newproj::pulumi:pulumi:Stack::newproj-staging"] });
  const file = JSON.parse(readFileSync(join(dir, ".pulumi/stacks/newproj/staging.json"), "utf8")) as VersionedCheckpoint;
  assert.equal(file.checkpoint.stack, "organization/newproj/staging");

  const history = await backend.history(target);
  assert.equal(history.length, 1);
  const historyFiles = readdirSync(join(dir, ".pulumi/history/newproj/staging")).sort();
  assert.equal(historyFiles.length, 2);
  assert.match(historyFiles[0]!, /^staging-\d+\.checkpoint\.json$/);
  assert.match(historyFiles[1]!, /^staging-\d+\.history\.json$/);
  assert.equal(existsSync(join(dir, ".pulumi/history/proj/dev")), false);
  assert.deepEqual(await backend.getTags(target), { owner: "me", "pulumi:project": "newproj" });
});

test("remove refuses a stack with resources unless forced, allows a lone root stack", async (t) => {
  const { dir, backend } = await openTemp(t);
  const r = ref("proj", "dev");
  await backend.createStack(r, {});
  const session = await backend.beginUpdate(r, "update", META);
  for (const e of createEntries("proj", "dev", 2)) await session.journal.append(e);
  await session.complete("succeeded", { create: 2 });

  await assert.rejects(backend.removeStack(r, false), /^Error: refusing to remove stack because it still contains resources$/);
  assert.ok(await backend.getStack(r));
  await backend.removeStack(r, true);
  assert.equal(await backend.getStack(r), undefined);
  assert.ok(existsSync(join(dir, ".pulumi/stacks/proj/dev.json.bak")), "removal keeps a backup");
  assert.equal(existsSync(join(dir, ".pulumi/history/proj/dev")), false);

  const lone = ref("proj", "lone");
  await backend.createStack(lone, {});
  await backend.importDeployment(lone, {
    version: 3,
    deployment: {
      manifest: { time: "2026-01-01T00:00:00Z", magic: "", version: "" },
      resources: [{ urn: stackUrn("proj", "lone"), custom: false, type: "pulumi:pulumi:Stack" }],
    },
  });
  await backend.removeStack(lone, false);
  assert.equal(await backend.getStack(lone), undefined);
});

test("a running update blocks remove/import/rename with the lock error", async (t) => {
  const { backend } = await openTemp(t);
  const r = ref("proj", "dev");
  await backend.createStack(r, {});
  const session = await backend.beginUpdate(r, "update", META);
  await assert.rejects(backend.removeStack(r, true), ConcurrentUpdateError);
  await assert.rejects(backend.renameStack(r, ref("proj", "x")), ConcurrentUpdateError);
  await session.complete("succeeded", {});
  await backend.removeStack(r, true);
});

test("legacy layout (meta.yaml version 0 or flat files) is read and written flat", async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, ".pulumi/stacks"), { recursive: true });
  const legacy: VersionedCheckpoint = {
    version: 3,
    checkpoint: {
      stack: "old",
      latest: {
        manifest: { time: "2025-06-01T12:00:00Z", magic: "", version: "" },
        resources: [{ urn: stackUrn("legacyproj", "old"), custom: false, type: "pulumi:pulumi:Stack" }],
      },
    },
  };
  writeFileSync(join(dir, ".pulumi/stacks/old.json"), JSON.stringify(legacy));
  const backend = await openDiyBackend(`file://${dir}`, { env: {} });
  assert.equal(backend.layoutVersion, 0);
  assert.equal(existsSync(join(dir, ".pulumi/meta.yaml")), false, "legacy stores get no meta.yaml");
  const stacks = await backend.listStacks({});
  assert.deepEqual(stacks.map((s) => s.ref), [ref("legacyproj", "old")]);
  assert.equal(stacks[0]!.lastUpdate, Date.parse("2025-06-01T12:00:00Z") / 1000);
  assert.equal(stacks[0]!.resourceCount, 1);
  const r = backend.parseStackRef("fresh", "legacyproj");
  await backend.createStack(r, {});
  assert.ok(existsSync(join(dir, ".pulumi/stacks/fresh.json")));

  const envLegacy = tempDir(t);
  const b2 = await openDiyBackend(`file://${envLegacy}`, { env: { PULUMI_DIY_BACKEND_LEGACY_LAYOUT: "true" } });
  assert.equal(b2.layoutVersion, 0);
});

test("PULUMI_DIY_BACKEND_GZIP writes .json.gz that still parses, and plain readers switch over", async (t) => {
  const dir = tempDir(t);
  const plain = await openDiyBackend(`file://${dir}`, { env: {} });
  const r = ref("proj", "dev");
  await plain.createStack(r, {});
  const gz = await openDiyBackend(`file://${dir}`, { env: { PULUMI_DIY_BACKEND_GZIP: "1" } });
  const session = await gz.beginUpdate(r, "update", META);
  for (const e of createEntries("proj", "dev", 3)) await session.journal.append(e);
  await session.complete("succeeded", { create: 3 });
  assert.equal(existsSync(join(dir, ".pulumi/stacks/proj/dev.json")), false);
  const file = JSON.parse(gunzipSync(readFileSync(join(dir, ".pulumi/stacks/proj/dev.json.gz"))).toString()) as VersionedCheckpoint;
  assert.equal(file.checkpoint.latest!.resources!.length, 3);
  assert.equal((await plain.exportDeployment(r)).deployment.resources!.length, 3);
  const history = readdirSync(join(dir, ".pulumi/history/proj/dev"));
  assert.ok(history.some((f) => /\.history\.json\.gz$/.test(f)));
  assert.equal((await plain.history(r)).length, 1);
});

test("refs that did not come from parseStackRef are still checked before becoming paths", async (t) => {
  const { backend } = await openTemp(t);
  await assert.rejects(backend.createStack(ref("..", "dev"), {}), /project names may only contain/);
  await assert.rejects(
    backend.createStack(ref("proj", "../x"), {}),
    /a stack name may only contain alphanumeric, hyphens, underscores, or periods: invalid character '\/' at position 2/,
  );
  await assert.rejects(backend.createStack({ organization: "acme", project: "p", name: "d" }, {}), /organization name must be 'organization'/);
  await assert.rejects(backend.createStack(ref("", "dev"), {}), /bad stack reference, project was not set/);
});

test("PULUMI_DIY_BACKEND_DISABLE_CHECKPOINT_BACKUPS skips backups/; a canceled update is recorded as failed", async (t) => {
  const { dir, backend } = await openTemp(t, { env: { PULUMI_DIY_BACKEND_DISABLE_CHECKPOINT_BACKUPS: "true" } });
  const r = ref("proj", "dev");
  await backend.createStack(r, {});
  const session = await backend.beginUpdate(r, "update", META);
  await session.complete("canceled", {});
  assert.equal(existsSync(join(dir, ".pulumi/backups")), false);
  assert.equal((await backend.history(r))[0]!.result, "failed");
});
