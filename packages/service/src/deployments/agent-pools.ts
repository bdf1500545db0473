/** Agent pools: named groups of runners in an org, each with a token its runners claim jobs with. */
import { randomUUID } from "node:crypto";
import { isUniqueViolation } from "../db/db.js";
import type { Services } from "../http/context.js";
import { badRequest, conflict, notFound } from "../http/errors.js";
import type { OrgRow } from "../identity/store.js";
import { hashToken, newAccessToken } from "../identity/tokens.js";

interface PoolRow {
  id: string;
  org_id: string;
  name: string;
  description: string;
  created_at: number;
}

interface AgentRow {
  agent_id: string;
  hostname: string;
  ip: string;
  pid: string;
  version: string;
  last_seen: number;
  last_deployment: number;
}

/** A runner counts as online while it polled within this window. */
export function agentStatus(lastSeenMs: number, now: number, windowMs: number): "online" | "offline" {
  return now - lastSeenMs <= windowMs ? "online" : "offline";
}

function name(v: unknown): string {
  if (typeof v !== "string" || v.trim() === "" || v.length > 100) throw badRequest("name must be 1 to 100 characters");
  return v;
}

export class AgentPoolService {
  constructor(private readonly s: Services, private readonly onlineWindowMs: () => number) {}

  private async row(org: OrgRow, id: string): Promise<PoolRow> {
    const r = await this.s.db.one<PoolRow>("SELECT id, org_id, name, description, created_at FROM agent_pools WHERE id = ? AND org_id = ?", [id, org.id]);
    if (!r) throw notFound(`agent pool '${id}' not found`);
    return r;
  }

  async create(org: OrgRow, body: { name?: unknown; description?: unknown }): Promise<{ id: string; tokenValue: string }> {
    const id = randomUUID();
    const token = newAccessToken();
    try {
      await this.s.db.run("INSERT INTO agent_pools (id, org_id, name, description, token_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)", [
        id, org.id, name(body.name), typeof body.description === "string" ? body.description : "", hashToken(token), Date.now(),
      ]);
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`an agent pool named '${String(body.name)}' already exists`);
      throw err;
    }
    return { id, tokenValue: token };
  }

  async update(org: OrgRow, id: string, body: { name?: unknown; description?: unknown }): Promise<{ name: string; description: string }> {
    const r = await this.row(org, id);
    const next = { name: body.name === undefined ? r.name : name(body.name), description: typeof body.description === "string" ? body.description : r.description };
    try {
      await this.s.db.run("UPDATE agent_pools SET name = ?, description = ? WHERE id = ?", [next.name, next.description, id]);
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`an agent pool named '${next.name}' already exists`);
      throw err;
    }
    return next;
  }

  async remove(org: OrgRow, id: string): Promise<void> {
    await this.row(org, id);
    const waiting = await this.s.db.one("SELECT id FROM deployments WHERE pool_key = ? AND status IN ('not-started', 'accepted', 'running') LIMIT 1", [id]);
    if (waiting) throw conflict("the pool still has queued or running deployments");
    await this.s.db.tx(async (q) => {
      await q.run("DELETE FROM agents WHERE pool_key = ?", [id]);
      await q.run("DELETE FROM agent_pools WHERE id = ?", [id]);
    });
  }

  private async agents(id: string): Promise<AgentRow[]> {
    return this.s.db.all<AgentRow>("SELECT * FROM agents WHERE pool_key = ? ORDER BY last_seen DESC", [id]);
  }

  async get(org: OrgRow, id: string): Promise<Record<string, unknown>> {
    const r = await this.row(org, id);
    const now = Date.now();
    return {
      created: r.created_at, id: r.id, name: r.name, description: r.description,
      agents: (await this.agents(id)).map((a) => ({
        version: a.version, hostname: a.hostname, ip: a.ip, pid: a.pid, lastSeen: a.last_seen, status: agentStatus(a.last_seen, now, this.onlineWindowMs()),
      })),
    };
  }

  async list(org: OrgRow): Promise<{ agentPools: Record<string, unknown>[] }> {
    const rows = await this.s.db.all<PoolRow>("SELECT id, org_id, name, description, created_at FROM agent_pools WHERE org_id = ? ORDER BY created_at, id", [org.id]);
    const now = Date.now();
    const out: Record<string, unknown>[] = [];
    for (const r of rows) {
      const agents = await this.agents(r.id);
      const lastSeen = Math.max(0, ...agents.map((a) => a.last_seen));
      const lastDeployment = Math.max(0, ...agents.map((a) => a.last_deployment));
      out.push({
        created: r.created_at, id: r.id, name: r.name, description: r.description,
        lastSeen: Math.floor(lastSeen / 1000), status: agentStatus(lastSeen, now, this.onlineWindowMs()), lastDeployment: Math.floor(lastDeployment / 1000),
      });
    }
    return { agentPools: out };
  }
}
