import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { Db, Queryable, Row, SqlValue } from "./db.js";

type Statement = Database.Statement<unknown[], unknown>;

function bind(params: readonly SqlValue[]): unknown[] {
  // better-sqlite3 refuses booleans; SQLite stores them as 0/1 anyway. Most statements have none:
  // those pass through without a copy (this runs on every query of every request).
  for (let i = 0; i < params.length; i++) {
    if (typeof params[i] === "boolean") return params.map((p) => (typeof p === "boolean" ? (p ? 1 : 0) : p));
  }
  return params as unknown[];
}

/**
 * Embedded SQLite in WAL mode. better-sqlite3 is synchronous, so a transaction spanning `await`s
 * must keep other requests' statements out of it: while one is open, everyone else queues.
 */
export class SqliteDb implements Db {
  readonly dialect = "sqlite" as const;
  private readonly statements = new Map<string, Statement>();
  private lock: Promise<void> = Promise.resolve();
  private inTx = false;

  /** Statements outside any transaction; built once, not per query. */
  private readonly plain: Queryable;

  private constructor(private readonly db: Database.Database) {
    this.plain = this.direct();
  }

  static open(file: string): SqliteDb {
    if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file);
    db.pragma("journal_mode = WAL");
    // NORMAL in WAL mode: a committed transaction survives a process crash (kill -9); FULL also
    // survives power loss, at an fsync per commit.
    db.pragma(`synchronous = ${process.env["STACKYARD_SQLITE_SYNC"] === "full" ? "FULL" : "NORMAL"}`);
    db.pragma("foreign_keys = ON");
    db.pragma("busy_timeout = 5000");
    return new SqliteDb(db);
  }

  private prepare(sql: string): Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  private direct(): Queryable {
    const self = this;
    return {
      dialect: "sqlite",
      async all<T extends object>(sql: string, params: readonly SqlValue[] = []) {
        return self.prepare(sql).all(...bind(params)) as T[];
      },
      async one<T extends object>(sql: string, params: readonly SqlValue[] = []) {
        const st = self.prepare(sql);
        return (st.reader ? st.get(...bind(params)) : (st.run(...bind(params)), undefined)) as T | undefined;
      },
      async run(sql: string, params: readonly SqlValue[] = []) {
        const st = self.prepare(sql);
        if (st.reader) {
          st.all(...bind(params));
          return { changes: 0 };
        }
        return { changes: st.run(...bind(params)).changes };
      },
    };
  }

  private async outside<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    while (this.inTx) await this.lock;
    return fn(this.plain);
  }

  all<T extends object = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    if (!this.inTx) return this.plain.all<T>(sql, params);
    return this.outside((q) => q.all<T>(sql, params));
  }
  one<T extends object = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    if (!this.inTx) return this.plain.one<T>(sql, params);
    return this.outside((q) => q.one<T>(sql, params));
  }
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }> {
    if (!this.inTx) return this.plain.run(sql, params);
    return this.outside((q) => q.run(sql, params));
  }

  async tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    while (this.inTx) await this.lock;
    let release!: () => void;
    this.lock = new Promise<void>((r) => (release = r));
    this.inTx = true;
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const result = await fn(this.plain);
      this.db.exec("COMMIT");
      return result;
    } catch (err) {
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
      throw err;
    } finally {
      this.inTx = false;
      release();
    }
  }

  async exec(sql: string): Promise<void> {
    this.db.exec(sql);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
