/** PostgreSQL test databases: one fresh database per test service, dropped afterwards. */
import { randomBytes } from "node:crypto";
import pg from "pg";
import type { ServiceOptions } from "../index.js";
import type { TestService } from "./harness.js";
import { startTestService } from "./harness.js";

export const POSTGRES_URL = process.env["STACKYARD_TEST_POSTGRES_URL"];
export const POSTGRES_SKIP = POSTGRES_URL ? false : "STACKYARD_TEST_POSTGRES_URL is not set; PostgreSQL tests skipped";

/**
 * A new, empty database on the test server. Each test file (they run in parallel) gets its own, so
 * none sees another's rows or migrations.
 */
export async function freshPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `stackyard_test_${randomBytes(6).toString("hex")}`;
  await asAdmin((admin) => admin.query(`CREATE DATABASE ${name}`));
  const url = new URL(POSTGRES_URL!);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      asAdmin(async (admin) => {
        // The test role ends its own sessions (a killed service's may linger); a plain DROP then
        // stops an autovacuum worker and waits for it, which WITH (FORCE) refuses to do for a role
        // without pg_signal_backend.
        await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND usename = current_user AND pid <> pg_backend_pid()", [name]);
        await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      }),
  };
}

/** One statement batch on the server's own database; the connection is closed even when it fails. */
async function asAdmin(work: (admin: pg.Client) => Promise<unknown>): Promise<void> {
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  try {
    await work(admin);
  } finally {
    await admin.end();
  }
}

/** A real service on a fresh PostgreSQL database; `stop` also drops the database. */
export async function startPostgresTestService(opts: Partial<ServiceOptions> = {}): Promise<TestService> {
  const pgdb = await freshPostgresDatabase();
  try {
    const svc = await startTestService({ ...opts, database: pgdb.url });
    const stop = svc.stop.bind(svc);
    return { ...svc, stop: async () => { try { await stop(); } finally { await pgdb.drop(); } } };
  } catch (err) {
    await pgdb.drop();
    throw err;
  }
}
