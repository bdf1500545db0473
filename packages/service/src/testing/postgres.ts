/** PostgreSQL test databases: one fresh database per test file, dropped afterwards. */
import { randomBytes } from "node:crypto";
import pg from "pg";

export const POSTGRES_URL = process.env["STACKYARD_TEST_POSTGRES_URL"];
export const POSTGRES_SKIP = POSTGRES_URL ? false : "STACKYARD_TEST_POSTGRES_URL is not set; PostgreSQL tests skipped";

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
