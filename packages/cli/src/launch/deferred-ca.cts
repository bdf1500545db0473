/**
 * NODE_EXTRA_CA_CERTS, loaded when needed. Node parses that file while it starts, before any code
 * runs (about 40 ms for a system CA bundle), yet most CLI calls never open a TLS connection. So
 * bin/pulumi moves the variable to STACKYARD_DEFERRED_CA_CERTS; the CLI puts it back at once for the
 * processes it starts (programs and plugins see what the user set) and adds the certificates to its
 * own TLS connections before the first one.
 *
 * This module is CommonJS and kept out of the CLI bundle, so the launcher and the bundle share it.
 */
import { readFileSync } from "node:fs";
import type { SecureContext, SecureContextOptions } from "node:tls";

interface TlsModule {
  readonly rootCertificates: readonly string[];
  createSecureContext(options?: SecureContextOptions): SecureContext;
}

const DEFERRED = "STACKYARD_DEFERRED_CA_CERTS";
let deferredFile: string | undefined;
let trusted = false;

/** Run first: restores NODE_EXTRA_CA_CERTS in this process's environment, for its children. */
export function adoptDeferredCaCerts(): void {
  const file = process.env[DEFERRED];
  delete process.env[DEFERRED];
  if (!file) return;
  process.env["NODE_EXTRA_CA_CERTS"] = file;
  deferredFile = file;
}

/**
 * Makes every TLS connection of this process trust the deferred certificates, as Node would have
 * from its start: they join the default roots wherever a caller does not choose its own `ca`.
 * Idempotent, and free when nothing was deferred.
 */
export function trustDeferredCaCerts(): void {
  if (trusted || !deferredFile) return;
  trusted = true;
  let extra: string;
  try {
    extra = readFileSync(deferredFile, "utf8");
  } catch (err) {
    // Node's own warning when it cannot read the file at start-up.
    process.emitWarning(`Ignoring extra certs from \`${deferredFile}\`, load failed: ${(err as Error).message}`);
    return;
  }
  // tls.connect, fetch, pg and grpc-js all build their contexts through this export. Required here,
  // not imported, because loading tls is part of what the deferral saves.
  const tls = require("node:tls") as TlsModule;
  const defaultRoots = [...tls.rootCertificates, extra];
  const createSecureContext = tls.createSecureContext;
  tls.createSecureContext = (options) =>
    createSecureContext(options?.ca === undefined ? { ...options, ca: defaultRoots } : options);
}
