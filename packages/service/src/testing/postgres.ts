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
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  const name = `stackyard_test_${randomBytes(6).toString("hex")}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_URL!);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: POSTGRES_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
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
