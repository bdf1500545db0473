import pg from "pg";
import type { Db, Queryable, Row, SqlValue } from "./db.js";
import { toNumberedPlaceholders } from "./db.js";

const INT8 = 20;
const NUMERIC = 1700;

/** BIGINT columns hold unix seconds and counters, all far below 2^53: decode them as numbers. */
const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === INT8 || oid === NUMERIC) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
};

function queryable(client: pg.Pool | pg.PoolClient, converted: Map<string, string>): Queryable {
  const text = (sql: string) => {
    let t = converted.get(sql);
    if (t === undefined) {
      t = toNumberedPlaceholders(sql);
      converted.set(sql, t);
    }
    return t;
  };
  return {
    dialect: "postgres",
    async all<T extends object>(sql: string, params: readonly SqlValue[] = []) {
      const r = await client.query(text(sql), params as unknown[]);
      return r.rows as T[];
    },
    async one<T extends object>(sql: string, params: readonly SqlValue[] = []) {
      const r = await client.query(text(sql), params as unknown[]);
      return r.rows[0] as T | undefined;
    },
    async run(sql: string, params: readonly SqlValue[] = []) {
      const r = await client.query(text(sql), params as unknown[]);
      return { changes: r.rowCount ?? 0 };
    },
  };
}

/** PostgreSQL through a pool; several service processes may share one database. */
export class PostgresDb implements Db {
  readonly dialect = "postgres" as const;
  private readonly converted = new Map<string, string>();
  private readonly q: Queryable;

  private constructor(private readonly pool: pg.Pool) {
    this.q = queryable(pool, this.converted);
  }

  static async connect(url: string): Promise<PostgresDb> {
    const pool = new pg.Pool({ connectionString: url, max: 10, types });
    const client = await pool.connect();
    client.release();
    return new PostgresDb(pool);
  }

  all<T extends object = Row>(sql: string, params?: readonly SqlValue[]) { return this.q.all<T>(sql, params); }
  one<T extends object = Row>(sql: string, params?: readonly SqlValue[]) { return this.q.one<T>(sql, params); }
  run(sql: string, params?: readonly SqlValue[]) { return this.q.run(sql, params); }

  async tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const result = await fn(queryable(client, this.converted));
      await client.query("COMMIT");
      return result;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
