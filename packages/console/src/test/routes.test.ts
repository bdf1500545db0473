import assert from "node:assert/strict";
import { test } from "node:test";
import type { Route } from "../app/routes.js";
import { parseRoute, routeHash, stackApiPath } from "../app/routes.js";

const stack = { org: "acme", project: "web app", stack: "dev/1" };

test("routes round-trip through their hash, with names escaped", () => {
  const routes: Route[] = [
    { screen: "stacks" },
    { screen: "signin" },
    { screen: "stack", stack },
    { screen: "update", stack, kind: "update", updateId: "0f1e-22" },
    { screen: "deployments", stack },
    { screen: "deployment", stack, deploymentId: "d-1" },
  ];
  for (const r of routes) assert.deepEqual(parseRoute(routeHash(r)), r, routeHash(r));
  assert.equal(routeHash({ screen: "stack", stack }), "#/stacks/acme/web%20app/dev%2F1");
});

test("parseRoute: empty and trailing slashes are tolerated; unknown shapes are not-found", () => {
  assert.deepEqual(parseRoute(""), { screen: "stacks" });
  assert.deepEqual(parseRoute("#/"), { screen: "stacks" });
  assert.deepEqual(parseRoute("#/stacks/a/b/c/"), { screen: "stack", stack: { org: "a", project: "b", stack: "c" } });
  for (const bad of ["#/stacks/a/b", "#/nope", "#/stacks/a/b/c/update", "#/stacks/a/b/c/x/y/z", "#/stacks/a//c", "#/stacks/a/%E0%A4%A/c"]) {
    assert.equal(parseRoute(bad).screen, "not-found", bad);
  }
});

test("stackApiPath escapes each segment", () => {
  assert.equal(stackApiPath(stack), "/api/stacks/acme/web%20app/dev%2F1");
});
