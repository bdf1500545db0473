import { test } from "node:test";
import assert from "node:assert/strict";
import {
  formatProviderReference,
  isProviderType,
  makeUrn,
  parentTypeForChildren,
  parseProviderReference,
  typePackage,
  urnName,
  urnProject,
  urnQualifiedType,
  urnStack,
  urnType,
} from "./urn.js";

test("URNs are built and taken apart", () => {
  const urn = makeUrn("dev", "proj", "my:mod:Comp", "aws:s3:Bucket", "b::odd");
  assert.equal(urn, "urn:pulumi:dev::proj::my:mod:Comp$aws:s3:Bucket::b::odd");
  assert.equal(urnStack(urn), "dev");
  assert.equal(urnProject(urn), "proj");
  assert.equal(urnQualifiedType(urn), "my:mod:Comp$aws:s3:Bucket");
  assert.equal(urnType(urn), "aws:s3:Bucket");
  assert.equal(urnName(urn), "b::odd");
});

test("children of the stack are not prefixed; children of components are", () => {
  assert.equal(parentTypeForChildren(undefined), undefined);
  assert.equal(parentTypeForChildren("urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev"), undefined);
  assert.equal(parentTypeForChildren("urn:pulumi:dev::p::a:b:C$d:e:F::x"), "a:b:C$d:e:F");
});

test("packages and provider references", () => {
  assert.equal(typePackage("aws:s3:Bucket"), "aws");
  assert.equal(typePackage("pulumi:providers:aws"), "aws");
  assert.ok(isProviderType("pulumi:providers:aws"));
  assert.ok(!isProviderType("aws:s3:Bucket"));
  const ref = formatProviderReference("urn:pulumi:dev::p::pulumi:providers:aws::default", "abc");
  assert.deepEqual(parseProviderReference(ref), { urn: "urn:pulumi:dev::p::pulumi:providers:aws::default", id: "abc" });
  assert.throws(() => parseProviderReference("nonsense"), /expected '::'/);
});
