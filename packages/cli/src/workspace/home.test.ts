import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { pulumiHome, readCredentials, readSelectedStack, updateCredentials, withLogin, withLogout, workspaceSettingsPath, writeSelectedStack } from "./home.js";

test("PULUMI_HOME defaults to ~/.pulumi", () => {
  assert.equal(pulumiHome({}), join(homedir(), ".pulumi"));
  assert.equal(pulumiHome({ PULUMI_HOME: "/x" }), "/x");
});

test("workspace file name is <project>-<sha1 of project file path>-workspace.json", () => {
  const sha = createHash("sha1").update("/w/Pulumi.yaml").digest("hex");
  assert.equal(workspaceSettingsPath("/h", "proj", "/w/Pulumi.yaml"), `/h/workspaces/proj-${sha}-workspace.json`);
});

test("stack selection per backend URL, legacy form, unselect removes an empty file", async () => {
  const home = mkdtempSync(join(tmpdir(), "home-"));
  assert.equal(await readSelectedStack(home, "p", "/w/Pulumi.yaml", "file:///a"), undefined);
  await writeSelectedStack(home, "p", "/w/Pulumi.yaml", "file:///a", "organization/p/dev");
  await writeSelectedStack(home, "p", "/w/Pulumi.yaml", "file:///b", "organization/p/prod");
  const path = workspaceSettingsPath(home, "p", "/w/Pulumi.yaml");
  assert.deepEqual(JSON.parse(readFileSync(path, "utf8")), { stacks: { "file:///a": "organization/p/dev", "file:///b": "organization/p/prod" } });
  assert.equal(await readSelectedStack(home, "p", "/w/Pulumi.yaml", "file:///b"), "organization/p/prod");
  await writeSelectedStack(home, "p", "/w/Pulumi.yaml", "file:///a", undefined);
  await writeSelectedStack(home, "p", "/w/Pulumi.yaml", "file:///b", undefined);
  assert.equal(existsSync(path), false);
  mkdirSync(join(home, "workspaces"), { recursive: true });
  writeFileSync(path, JSON.stringify({ stack: "legacy" }));
  assert.equal(await readSelectedStack(home, "p", "/w/Pulumi.yaml", "file:///z"), "legacy");
});

test("concurrent selections for different backends all land", async () => {
  const home = mkdtempSync(join(tmpdir(), "home-"));
  await Promise.all(Array.from({ length: 20 }, (_, i) => writeSelectedStack(home, "p", "/w/Pulumi.yaml", `file:///b${i}`, `s${i}`)));
  for (let i = 0; i < 20; i++) assert.equal(await readSelectedStack(home, "p", "/w/Pulumi.yaml", `file:///b${i}`), `s${i}`);
});

test("credentials: login sets current and account, logout forgets it", async () => {
  const home = mkdtempSync(join(tmpdir(), "home-"));
  assert.deepEqual(await readCredentials(home), {});
  await updateCredentials(home, (c) => withLogin(c, "file:///state"));
  await updateCredentials(home, (c) => withLogin(c, "https://api.example", { accessToken: "tok", username: "u" }));
  const creds = await readCredentials(home);
  assert.equal(creds.current, "https://api.example");
  assert.deepEqual(creds.accessTokens, { "file:///state": "", "https://api.example": "tok" });
  assert.equal(creds.accounts?.["https://api.example"]?.username, "u");
  assert.match(readFileSync(join(home, "credentials.json"), "utf8"), /^{\n {4}"current"/);
  const out = withLogout(creds, "https://api.example");
  assert.equal(out.current, undefined);
  assert.deepEqual(Object.keys(out.accounts ?? {}), ["file:///state"]);
});
