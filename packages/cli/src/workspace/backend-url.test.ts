import { test } from "node:test";
import assert from "node:assert/strict";
import { CliError } from "../cli/errors.js";
import { backendKind, NOT_LOGGED_IN_MESSAGE, openBackend, requireBackendUrl, resolveBackendUrl } from "./backend-url.js";

test("precedence: PULUMI_BACKEND_URL, then Pulumi.yaml backend.url, then credentials current", () => {
  const creds = { current: "file:///creds" };
  assert.deepEqual(resolveBackendUrl({ PULUMI_BACKEND_URL: "file:///env" }, "file:///proj", creds), { url: "file:///env", source: "PULUMI_BACKEND_URL" });
  assert.deepEqual(resolveBackendUrl({}, "file:///proj", creds), { url: "file:///proj", source: "Pulumi.yaml" });
  assert.deepEqual(resolveBackendUrl({ PULUMI_BACKEND_URL: "" }, undefined, creds), { url: "file:///creds", source: "credentials" });
  assert.equal(resolveBackendUrl({}, undefined, {}), undefined);
  assert.throws(() => requireBackendUrl({}, undefined, {}), (e: unknown) => e instanceof CliError && e.message === NOT_LOGGED_IN_MESSAGE && /pulumi login/.test(e.message));
});

test("dispatch by scheme", async () => {
  assert.equal(backendKind("file://~"), "diy");
  assert.equal(backendKind("https://api.x"), "service");
  assert.equal(backendKind("s3://bucket"), undefined);
  // A service backend needs an access token before any request goes out.
  await assert.rejects(openBackend("https://api.example.com", { env: {} }), (e: unknown) => e instanceof CliError && /not logged in to https:\/\/api\.example\.com/.test(e.message));
  await assert.rejects(openBackend("gopher://x"), /unknown backend cloudUrl format 'gopher:\/\/x'/);
});
