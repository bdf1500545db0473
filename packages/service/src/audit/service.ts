/** The audit log: one entry per mutation, listed newest first and exported as CSV or CEF. */
import type { AuditLogEvent } from "@stackyard/protocol";
import type { Db, Queryable } from "../db/db.js";
import type { Principal } from "../identity/principal.js";

export interface AuditRecord {
  orgId: string;
  event: string;
  description: string;
  sourceIP: string;
  principal: Principal;
  requireOrgAdmin?: boolean;
  requireStackAdmin?: boolean;
  authenticationFailure?: boolean;
  timestamp?: number;
}

interface AuditRow {
  id: number; org_id: string; timestamp: number; source_ip: string; event: string; description: string;
  user_login: string; user_name: string; token_id: string | null; token_name: string | null;
  require_org_admin: number; require_stack_admin: number; authentication_failure: number;
 
}

export interface AuditQuery {
  orgId: string;
  /** Entries strictly older than this unix time. */
  startTime?: number;
  userFilter?: string;
  /** Opaque: the id of the last entry of the previous page. */
  continuationToken?: string;
  pageSize?: number;
}

export const AUDIT_PAGE_SIZE = 100;

export class AuditService {
  constructor(private readonly db: Db) {}

  async record(r: AuditRecord, q: Queryable = this.db): Promise<void> {
    await q.run(
      `INSERT INTO audit_log (org_id, timestamp, source_ip, event, description, user_login, user_name, token_id, token_name,
         require_org_admin, require_stack_admin, authentication_failure) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        r.orgId, r.timestamp ?? Math.floor(Date.now() / 1000), r.sourceIP, r.event, r.description, r.principal.login, r.principal.displayName,
        r.principal.tokenId, r.principal.tokenName || null, r.requireOrgAdmin ? 1 : 0, r.requireStackAdmin ? 1 : 0, r.authenticationFailure ? 1 : 0,
      ],
    );
  }

  async list(query: AuditQuery): Promise<{ events: AuditLogEvent[]; continuationToken?: string }> {
    const size = query.pageSize ?? AUDIT_PAGE_SIZE;
    const where = ["org_id = ?"];
    const params: (string | number)[] = [query.orgId];
    if (query.startTime !== undefined) {
      where.push("timestamp < ?");
      params.push(query.startTime);
    }
    if (query.userFilter) {
      where.push("user_login = ?");
      params.push(query.userFilter);
    }
    if (query.continuationToken) {
      const before = Number(query.continuationToken);
      if (Number.isInteger(before)) {
        where.push("id < ?");
        params.push(before);
      }
    }
    const rows = await this.db.all<AuditRow>(`SELECT * FROM audit_log WHERE ${where.join(" AND ")} ORDER BY id DESC LIMIT ?`, [...params, size + 1]);
    const page = rows.slice(0, size);
    return {
      events: page.map(toEvent),
      ...(rows.length > size ? { continuationToken: String(page[page.length - 1]!.id) } : {}),
    };
  }

  /** Every entry of the query (no paging), for export. */
  async all(query: AuditQuery): Promise<AuditLogEvent[]> {
    const out: AuditLogEvent[] = [];
    let token: string | undefined;
    do {
      const page = await this.list({ ...query, continuationToken: token, pageSize: 1000 });
      out.push(...page.events);
      token = page.continuationToken;
    } while (token);
    return out;
  }
}

function toEvent(r: AuditRow): AuditLogEvent {
  return {
    timestamp: r.timestamp, sourceIP: r.source_ip, event: r.event, description: r.description,
    user: { name: r.user_name, githubLogin: r.user_login, avatarUrl: "" },
    ...(r.token_id ? { tokenID: r.token_id } : {}), ...(r.token_name ? { tokenName: r.token_name } : {}),
    requireOrgAdmin: r.require_org_admin === 1, requireStackAdmin: r.require_stack_admin === 1,
    authenticationFailure: r.authentication_failure === 1,
  };
}

const csvField = (s: string): string => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
const isoSeconds = (t: number): string => new Date(t * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

export const CSV_HEADER = "Timestamp,Name,Login,Event,Description,SourceIP,RequireOrgAdmin,RequireStackAdmin,AuthenticationFailure";

export function toCsv(events: readonly AuditLogEvent[]): string {
  const lines = [CSV_HEADER];
  for (const e of events) {
    lines.push(
      [isoSeconds(e.timestamp), csvField(e.user.name), csvField(e.user.githubLogin), csvField(e.event), csvField(e.description), csvField(e.sourceIP),
        String(!!e.requireOrgAdmin), String(!!e.requireStackAdmin), String(!!e.authenticationFailure)].join(","),
    );
  }
  return lines.join("\n") + "\n";
}

// CEF header fields escape `|` and `\`; extension values escape `=` and `\` (and newlines).
const cefHeader = (s: string): string => s.replace(/\\/g, "\\\\").replace(/\|/g, "\\|");
const cefExt = (s: string): string => s.replace(/\\/g, "\\\\").replace(/=/g, "\\=").replace(/\r?\n/g, "\\n");

export function toCef(events: readonly AuditLogEvent[], version: string): string {
  return events
    .map((e) => {
      const ext = [
        `rt=${e.timestamp * 1000}`, `suser=${cefExt(e.user.githubLogin)}`, `suid=${cefExt(e.user.name)}`, `src=${cefExt(e.sourceIP)}`,
        `msg=${cefExt(e.description)}`, `cs1Label=requireOrgAdmin cs1=${!!e.requireOrgAdmin}`, `cs2Label=requireStackAdmin cs2=${!!e.requireStackAdmin}`,
        `cs3Label=authenticationFailure cs3=${!!e.authenticationFailure}`,
      ].join(" ");
      const severity = e.authenticationFailure ? 7 : e.requireOrgAdmin ? 5 : 3;
      return `CEF:0|Stackyard|Stackyard Service|${cefHeader(version)}|${cefHeader(e.event)}|${cefHeader(e.event)}|${severity}|${ext}`;
    })
    .join("\n") + (events.length > 0 ? "\n" : "");
}
