import type { FastifyInstance, FastifyRequest } from "fastify";
import { gzipSync } from "node:zlib";
import type { Services } from "../http/context.js";
import { badRequest } from "../http/errors.js";
import type { AuditQuery } from "./service.js";
import { toCef, toCsv } from "./service.js";

type Params = Record<string, string>;

async function auditQuery(s: Services, req: FastifyRequest): Promise<AuditQuery> {
  const { org } = await s.identity.requireOrg(req.principal!, (req.params as Params)["org"]!, "admin");
  const q = req.query as Params;
  let startTime: number | undefined;
  if (q["startTime"] !== undefined) {
    startTime = Number(q["startTime"]);
    if (!Number.isInteger(startTime)) throw badRequest("startTime must be a unix timestamp");
  }
  // pageSize is a Stackyard addition; the documented API pages at a fixed size.
  const pageSize = q["pageSize"] !== undefined ? Math.min(1000, Math.max(1, Number(q["pageSize"]) || 100)) : undefined;
  return { orgId: org.id, startTime, userFilter: q["userFilter"] || undefined, continuationToken: q["continuationToken"], pageSize };
}

export function registerAuditRoutes(app: FastifyInstance, s: Services): void {
  app.get("/api/orgs/:org/auditlogs", async (req) => {
    const page = await s.audit.list(await auditQuery(s, req));
    return { auditLogEvents: page.events, ...(page.continuationToken ? { continuationToken: page.continuationToken } : {}) };
  });

  /** Always gzip-compressed, as documented. */
  app.get("/api/orgs/:org/auditlogs/export", async (req, reply) => {
    const query = await auditQuery(s, req);
    const format = (req.query as Params)["format"] ?? "csv";
    if (format !== "csv" && format !== "cef") throw badRequest("format must be 'csv' or 'cef'");
    const events = await s.audit.all(query);
    const text = format === "csv" ? toCsv(events) : toCef(events, s.version);
    return reply
      .header("Content-Encoding", "gzip")
      .type(format === "csv" ? "text/csv; charset=utf-8" : "text/plain; charset=utf-8")
      .send(gzipSync(Buffer.from(text, "utf8")));
  });
}
