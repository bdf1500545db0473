/** The Stackyard service: Pulumi Cloud's state protocol and REST API on SQLite or PostgreSQL. */
import type { FastifyInstance } from "fastify";
import { resolve } from "node:path";
import { AuditService } from "./audit/service.js";
import type { Db } from "./db/db.js";
import { openDb } from "./db/db.js";
import { migrate } from "./db/migrations.js";
import type { Services } from "./http/context.js";
import { buildApp } from "./http/app.js";
import { CONSOLE_PREFIX, consoleRoot } from "./console/static.js";
import { IdentityService } from "./identity/service.js";
import { loadMasterKey } from "./secrets/keyring.js";
import { SecretsService } from "./secrets/service.js";
import { StackService } from "./stacks/service.js";
import { UpdateLifecycle } from "./updates/lifecycle.js";

export const SERVICE_VERSION = "0.1.0";

export interface ServiceOptions {
  /** `postgres://…` for PostgreSQL; otherwise a SQLite file path (default `<dataDir>/stackyard.db`). */
  database?: string;
  dataDir?: string;
  port?: number;
  host?: string;
  /** A known first admin token (else `STACKYARD_ADMIN_TOKEN`, else one is generated on first start). */
  adminToken?: string;
  adminLogin?: string;
  orgName?: string;
  /** Base64 master key for service secrets (else `STACKYARD_MASTER_KEY`, else `<dataDir>/master.key`). */
  masterKey?: string;
  /** Stacks per page of `GET /api/user/stacks` (default 1000). */
  stackListPageSize?: number;
  /** Where start-up lines go (default stdout). */
  log?: (line: string) => void;
}

export interface RunningService {
  url: string;
  port: number;
  app: FastifyInstance;
  db: Db;
  /** Admin login and organization created or found at start. */
  admin: { login: string; org: string };
  /** Only on the very first start, when no token was given. */
  createdToken?: string;
  close(): Promise<void>;
}

export async function createServices(db: Db, dataDir: string, masterKey?: string): Promise<Services> {
  const identity = new IdentityService(db);
  const stacks = new StackService(db, identity);
  const updates = new UpdateLifecycle(db, stacks, identity);
  const secrets = new SecretsService(db, loadMasterKey(dataDir, masterKey ?? process.env["STACKYARD_MASTER_KEY"]));
  return { db, identity, stacks, updates, secrets, audit: new AuditService(db), version: SERVICE_VERSION };
}

export async function createService(opts: ServiceOptions = {}): Promise<RunningService> {
  const dataDir = resolve(opts.dataDir ?? process.env["STACKYARD_DATA_DIR"] ?? ".stackyard-data");
  const log = opts.log ?? ((line: string) => process.stdout.write(line + "\n"));
  const db = await openDb(opts.database, dataDir);
  try {
    await migrate(db);
    const services = await createServices(db, dataDir, opts.masterKey);
    if (opts.stackListPageSize) services.stacks.pageSize = opts.stackListPageSize;
    const boot = await services.identity.bootstrap({
      adminToken: opts.adminToken ?? (process.env["STACKYARD_ADMIN_TOKEN"] || undefined),
      adminLogin: opts.adminLogin ?? process.env["STACKYARD_ADMIN_USER"] ?? "admin",
      orgName: opts.orgName ?? process.env["STACKYARD_ORG"] ?? "stackyard",
    });
    const app = buildApp(services);
    const host = opts.host ?? "127.0.0.1";
    await app.listen({ port: opts.port ?? 8080, host });
    const address = app.server.address();
    const port = typeof address === "object" && address ? address.port : (opts.port ?? 8080);
    // A wildcard bind is reachable on loopback; print an address a user can paste.
    const shown = host === "0.0.0.0" || host === "::" ? "localhost" : host;
    const url = `http://${shown.includes(":") ? `[${shown}]` : shown}:${port}`;
    log(`Stackyard service listening on ${url} (${db.dialect === "sqlite" ? `SQLite in ${dataDir}` : "PostgreSQL"})`);
    if (consoleRoot()) log(`Console: ${url}${CONSOLE_PREFIX}`);
    if (boot.createdToken) {
      log(`Created administrator '${boot.login}' and organization '${boot.org}'.`);
      log(`First access token (shown once): ${boot.createdToken}`);
      log(`  export PULUMI_ACCESS_TOKEN=${boot.createdToken} && pulumi login ${url}`);
    }
    return {
      url, port, app, db, admin: { login: boot.login, org: boot.org }, createdToken: boot.createdToken,
      async close() {
        await app.close();
        await db.close();
      },
    };
  } catch (err) {
    await db.close();
    throw err;
  }
}

export { buildApp } from "./http/app.js";
export type { Services } from "./http/context.js";
