import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { adoptDeferredCaCerts, trustDeferredCaCerts } from "./deferred-ca.cjs";

test("an unreadable deferred CA file: handed on to children, warned about as Node would, TLS left as it is", async () => {
  const missing = "/nonexistent/stackyard-extra-ca.pem";
  const saved = { extra: process.env["NODE_EXTRA_CA_CERTS"], deferred: process.env["STACKYARD_DEFERRED_CA_CERTS"] };
  // The module object the patch would change (an ES namespace of a builtin does not follow it).
  const tls = createRequire(import.meta.url)("node:tls") as typeof import("node:tls");
  const createSecureContext = tls.createSecureContext;
  try {
    delete process.env["NODE_EXTRA_CA_CERTS"];
    process.env["STACKYARD_DEFERRED_CA_CERTS"] = missing;
    adoptDeferredCaCerts();
    assert.equal(process.env["NODE_EXTRA_CA_CERTS"], missing);
    assert.equal(process.env["STACKYARD_DEFERRED_CA_CERTS"], undefined);

    const warned = new Promise<Error>((resolve) => process.once("warning", resolve));
    trustDeferredCaCerts();
    const warning = await warned;
    assert.match(warning.message, /^Ignoring extra certs from `\/nonexistent\/stackyard-extra-ca\.pem`, load failed: ENOENT/);
    assert.equal(tls.createSecureContext, createSecureContext);
  } finally {
    for (const [name, value] of [["NODE_EXTRA_CA_CERTS", saved.extra], ["STACKYARD_DEFERRED_CA_CERTS", saved.deferred]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
});
