/**
 * The one query layer every domain store goes through. SQL is written once with `?` placeholders
 * and portable `INSERT … ON CONFLICT` / `RETURNING`; the adapters own the dialect differences
 * (placeholder syntax, column types in DDL, integer decoding, transactions).
 */
export type SqlValue = string | number | bigint | boolean | null | Buffer;
export type Row = Record<string, unknown>;
export type Dialect = "sqlite" | "postgres";

export interface Queryable {
  readonly dialect: Dialect;
  all<T extends object = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  one<T extends object = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** Runs a statement; `changes` is the number of rows it touched. */
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
}

export interface Db extends Queryable {
  /** Runs `fn` in one transaction; it commits when `fn` resolves and rolls back when it throws. */
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  /** Executes DDL (several statements separated by `;`). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

/** Builds a portable upsert: `INSERT … ON CONFLICT (keys) DO UPDATE SET …` (or DO NOTHING). */
export function upsertSql(table: string, columns: readonly string[], conflict: readonly string[], update: readonly string[]): string {
  const placeholders = columns.map(() => "?").join(", ");
  const action = update.length === 0 ? "DO NOTHING" : `DO UPDATE SET ${update.map((c) => `${c} = excluded.${c}`).join(", ")}`;
  return `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${placeholders}) ON CONFLICT (${conflict.join(", ")}) ${action}`;
}

/**
 * Suffix that locks the selected rows until the transaction ends. SQLite needs none: its write
 * transactions (BEGIN IMMEDIATE) already exclude each other.
 */
export function forUpdate(q: Queryable): string {
  return q.dialect === "postgres" ? " FOR UPDATE" : "";
}

/** Whether an error is a unique-constraint violation, in either dialect (a lost insert race). */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}

/** Rewrites `?` placeholders to `$1…$n`, leaving quoted literals alone. */
export function toNumberedPlaceholders(sql: string): string {
  let out = "";
  let n = 0;
  let quote: string | null = null;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = null;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === "?") {
      out += `$${++n}`;
    } else {
      out += ch;
    }
  }
  return out;
}

/** DDL type tokens, so migrations are written once: `{blob}`, `{bigint}`, `{serial}`. */
export function translateDdl(sql: string, dialect: Dialect): string {
  const map: Record<string, string> =
    dialect === "sqlite"
      ? { blob: "BLOB", bigint: "INTEGER", serial: "INTEGER PRIMARY KEY AUTOINCREMENT", text: "TEXT" }
      : { blob: "BYTEA", bigint: "BIGINT", serial: "BIGSERIAL PRIMARY KEY", text: "TEXT" };
  return sql.replace(/\{(blob|bigint|serial|text)\}/g, (_m, t: string) => map[t]!);
}

export async function openDb(database: string | undefined, dataDir: string): Promise<Db> {
  if (database && /^postgres(ql)?:\/\//.test(database)) {
    const { PostgresDb } = await import("./postgres.js");
    return PostgresDb.connect(database);
  }
  const { SqliteDb } = await import("./sqlite.js");
  return SqliteDb.open(database && database.length > 0 ? database : `${dataDir}/stackyard.db`);
}
