import { test } from "node:test";
import assert from "node:assert/strict";
import { hasUnsafeStack } from "./node20-inspect-guard.js";

const withStack = (stack: string) => Object.assign(new Error("x"), { stack });

test("stack lines that end inside a node_modules package are recognised", () => {
  // What the SDK's source maps produce: the scoped package's only segment is the file itself.
  assert.ok(hasUnsafeStack(withStack("Error: x\n    at Stack.init (/w/node_modules/@pulumi/resource.ts:1687:22)\n    at x (/a/b.js:1:1)")));
  assert.ok(hasUnsafeStack(withStack("Error: x\n    at f (/w/node_modules/left-pad.js:1:1)")));
  assert.ok(hasUnsafeStack({ cause: withStack("Error: y\n    at g (C:\\w\\node_modules\\@scope\\file.js:2:2)") }));
});

test("ordinary stacks are left alone", () => {
  assert.ok(!hasUnsafeStack(withStack("Error: x\n    at f (/w/node_modules/@pulumi/pulumi/resource.js:1:1)\n    at g (/w/node_modules/grpc/x.js:1:1)")));
  assert.ok(!hasUnsafeStack(withStack("Error: x\n    at f (/home/me/project/index.js:3:11)")));
  assert.ok(!hasUnsafeStack("not an error"));
  assert.ok(!hasUnsafeStack(null));
});
