/** The query layer: SQL rewriting, and the same behaviour from the SQLite and PostgreSQL adapters. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Db } from "./db.js";
import { isUniqueViolation, openDb, toNumberedPlaceholders, translateDdl, upsertSql } from "./db.js";
import { MIGRATIONS, migrate } from "./migrations.js";
import { POSTGRES_SKIP, freshPostgresDatabase } from "../testing/postgres.js";

test("placeholders become $n outside quoted literals", () => {
  assert.equal(toNumberedPlaceholders("SELECT * FROM t WHERE a = ? AND b = '?' AND c = ?"), "SELECT * FROM t WHERE a = $1 AND b = '?' AND c = $2");
});

test("upsert SQL is portable ON CONFLICT", () => {
  assert.equal(upsertSql("t", ["a", "b", "c"], ["a"], ["b", "c"]), "INSERT INTO t (a, b, c) VALUES (?, ?, ?) ON CONFLICT (a) DO UPDATE SET b = excluded.b, c = excluded.c");
  assert.equal(upsertSql("t", ["a"], ["a"], []), "INSERT INTO t (a) VALUES (?) ON CONFLICT (a) DO NOTHING");
});

test("DDL tokens map per dialect", () => {
  assert.equal(translateDdl("id {serial}, d {blob}, n {bigint}", "sqlite"), "id INTEGER PRIMARY KEY AUTOINCREMENT, d BLOB, n INTEGER");
  assert.equal(translateDdl("id {serial}, d {blob}, n {bigint}", "postgres"), "id BIGSERIAL PRIMARY KEY, d BYTEA, n BIGINT");
});

/** One behavioural suite, run against each adapter. */
async function exerciseAdapter(db: Db): Promise<void> {
  assert.deepEqual(await migrate(db), MIGRATIONS.map((m) => m.id));
  assert.deepEqual(await migrate(db), [], "migrations apply once");
  await db.run("INSERT INTO settings (key, value) VALUES (?, ?)", ["a", "1"]);
  await db.run(upsertSql("settings", ["key", "value"], ["key"], ["value"]), ["a", "2"]);
  assert.deepEqual(await db.one("SELECT key, value FROM settings WHERE key = ?", ["a"]), { key: "a", value: "2" });

  // RETURNING gives generated ids; big integers come back as numbers
  const row = await db.one<{ id: number }>("INSERT INTO orgs (id, name, display_name, created_at) VALUES (?, ?, ?, ?) RETURNING created_at AS id", ["o1", "org-one", "Org", 1_700_000_000_123]);
  assert.equal(row?.id, 1_700_000_000_123);
  const stack = await db.one<{ id: number }>("INSERT INTO stacks (org_id, project, name, created_at) VALUES (?, ?, ?, ?) RETURNING id", ["o1", "p", "s", 1]);
  assert.equal(typeof stack?.id, "number");

  // blobs round-trip byte for byte
  const bytes = Buffer.from([0, 1, 2, 255, 254, 0x22]);
  await db.run("INSERT INTO stack_versions (stack_id, version, data, resource_count, created_at) VALUES (?, ?, ?, ?, ?)", [stack!.id, 1, bytes, 0, 1]);
  const back = await db.one<{ data: Buffer }>("SELECT data FROM stack_versions WHERE stack_id = ? AND version = ?", [stack!.id, 1]);
  assert.deepEqual(Buffer.from(back!.data), bytes);

  // a failing transaction leaves nothing behind; a successful one commits
  await assert.rejects(
    db.tx(async (q) => {
      await q.run("INSERT INTO settings (key, value) VALUES (?, ?)", ["rolled-back", "x"]);
      throw new Error("boom");
    }),
    /boom/,
  );
  assert.equal(await db.one("SELECT * FROM settings WHERE key = ?", ["rolled-back"]), undefined);
  await db.tx((q) => q.run("INSERT INTO settings (key, value) VALUES (?, ?)", ["kept", "y"]));
  assert.deepEqual(await db.one("SELECT value FROM settings WHERE key = ?", ["kept"]), { value: "y" });

  // statements from elsewhere never land inside someone else's open transaction
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const failing = db.tx(async (q) => {
    await q.run("INSERT INTO settings (key, value) VALUES (?, ?)", ["inside", "1"]);
    await gate;
    throw new Error("rollback");
  });
  const outside = db.run("INSERT INTO settings (key, value) VALUES (?, ?)", ["outside", "1"]);
  release();
  await assert.rejects(failing, /rollback/);
  await outside;
  assert.equal(await db.one("SELECT * FROM settings WHERE key = ?", ["inside"]), undefined);
  assert.deepEqual(await db.one("SELECT value FROM settings WHERE key = ?", ["outside"]), { value: "1" });

  // unique violations surface as errors, changes are counted
  await assert.rejects(db.run("INSERT INTO orgs (id, name, display_name, created_at) VALUES (?, ?, ?, ?)", ["o2", "org-one", "x", 1]), (e: unknown) => isUniqueViolation(e));
  assert.equal((await db.run("UPDATE settings SET value = ? WHERE key IN (?, ?)", ["z", "a", "kept"])).changes, 2);
}

test("SQLite adapter (WAL file)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "stackyard-db-"));
  const db = await openDb(undefined, dir);
  try {
    assert.equal(db.dialect, "sqlite");
    assert.equal((await db.one<{ journal_mode: string }>("PRAGMA journal_mode"))?.journal_mode, "wal");
    await exerciseAdapter(db);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("PostgreSQL adapter", { skip: POSTGRES_SKIP }, async () => {
  const pgdb = await freshPostgresDatabase();
  const db = await openDb(pgdb.url, "/nonexistent");
  try {
    assert.equal(db.dialect, "postgres");
    await exerciseAdapter(db);
  } finally {
    await db.close();
    await pgdb.drop();
  }
});

test("PostgreSQL: concurrent starters migrate once", { skip: POSTGRES_SKIP }, async () => {
  const pgdb = await freshPostgresDatabase();
  const dbs = await Promise.all([openDb(pgdb.url, "/x"), openDb(pgdb.url, "/x"), openDb(pgdb.url, "/x")]);
  try {
    const applied = await Promise.all(dbs.map((d) => migrate(d)));
    assert.equal(applied.flat().length, MIGRATIONS.length);
  } finally {
    for (const d of dbs) await d.close();
    await pgdb.drop();
  }
});

test("unique violations are recognised in both dialects", async () => {
  assert.equal(isUniqueViolation({ code: "23505" }), true);
  assert.equal(isUniqueViolation({ code: "SQLITE_CONSTRAINT_UNIQUE" }), true);
  assert.equal(isUniqueViolation({ code: "SQLITE_BUSY" }), false);
  assert.equal(isUniqueViolation(null), false);
});
