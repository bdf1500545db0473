/**
 * Deployments REST API (under `/api/stacks/…` as the Pulumi CLI calls it and `/api/preview/…` as
 * the Deployments API documents it), deployment settings, schedules, agent pools, and the runner
 * protocol (`/api/stackyard/runner/…`, authenticated by pool token, then by job token).
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Services } from "../http/context.js";
import { badRequest } from "../http/errors.js";
import type { StackAction } from "../identity/permissions.js";
import type { StackRef } from "../stacks/service.js";
import { AgentPoolService } from "./agent-pools.js";
import type { AgentInfo } from "./service.js";
import { DeploymentService } from "./service.js";
import { ScheduleService, driftScheduleBody, rawScheduleBody, ttlScheduleBody } from "./schedules.js";

type Params = Record<string, string>;

/** The deployments domain of one service process, with its background ticker. */
export class DeploymentsModule {
  readonly deployments: DeploymentService;
  readonly schedules: ScheduleService;
  readonly pools: AgentPoolService;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private stopped = false;

  constructor(s: Services) {
    this.deployments = new DeploymentService(s);
    this.schedules = new ScheduleService(s, this.deployments);
    this.pools = new AgentPoolService(s, () => Math.max(30_000, this.deployments.tunables.leaseMs));
    // TTL schedules: a destroy asked to delete its stack does so once it succeeded.
    this.deployments.onFinished.push(async (d) => {
      if (d.status !== "succeeded" || d.operation !== "destroy") return;
      const spec = JSON.parse(d.request) as { operationContext?: { options?: { deleteAfterDestroy?: boolean } } };
      if (!spec.operationContext?.options?.deleteAfterDestroy) return;
      const r = await this.deployments.refOf(d);
      if (r) await s.stacks.remove(r, false);
    });
  }

  /** Reaps lapsed leases and fires due schedules. */
  async tick(): Promise<void> {
    await this.deployments.reap();
    await this.schedules.tick();
  }

  start(): void {
    const arm = () => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        this.inFlight = this.tick()
          .catch((err: unknown) => {
            if (!this.stopped) process.stderr.write(`stackyard: deployments ticker: ${(err as Error).message}\n`);
          })
          .finally(() => {
            this.inFlight = undefined;
            arm();
          });
      }, this.deployments.tunables.tickMs);
      this.timer.unref();
    };
    arm();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.inFlight;
  }
}

declare module "fastify" {
  interface FastifyInstance {
    deployments: DeploymentsModule;
  }
}

const PREFIXES = ["/api/stacks/:org/:project/:stack/deployments", "/api/preview/:org/:project/:stack/deployments"];

function ref(s: Services, req: FastifyRequest, action: StackAction): Promise<StackRef> {
  const p = req.params as Params;
  return s.stacks.resolve(req.principal!, p["org"]!, p["project"]!, p["stack"]!, action, { orgAccess: req.orgAccess });
}

/** How the caller reached this service: what a run on this host should use as its backend URL. */
function baseUrl(req: FastifyRequest): string {
  return `${req.protocol}://${req.headers.host ?? "localhost"}`;
}

function jobToken(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^job-token\s+(\S+)$/i.exec(h);
  return m ? m[1] : undefined;
}

function poolToken(req: FastifyRequest): string | undefined {
  const m = /^(?:token|bearer)\s+(\S+)$/i.exec(req.headers.authorization ?? "");
  return m ? m[1] : undefined;
}

function agentInfo(v: unknown, ip: string): AgentInfo {
  const a = (typeof v === "object" && v !== null ? v : {}) as Record<string, unknown>;
  const str = (x: unknown, fallback: string) => (typeof x === "string" && x !== "" ? x.slice(0, 200) : fallback);
  return { id: str(a["id"], `agent-${ip}`), hostname: str(a["hostname"], ""), ip: str(a["ip"], ip), pid: str(a["pid"] ?? (typeof a["pid"] === "number" ? String(a["pid"]) : undefined), ""), version: str(a["version"], "") };
}

export function registerDeploymentRoutes(app: FastifyInstance, s: Services): DeploymentsModule {
  const mod = new DeploymentsModule(s);
  app.decorate("deployments", mod);
  app.addHook("onReady", async () => mod.start());
  app.addHook("preClose", async () => mod.deployments.shutdown());
  app.addHook("onClose", async () => mod.stop());
  const { deployments, schedules, pools } = mod;

  for (const P of PREFIXES) {
    app.post(P, { config: { audit: { event: "Deployment Created" } } }, async (req) => {
      const r = await ref(s, req, "write");
      const initiator = req.headers["x-pulumi-deployment-initiator"];
      const d = await deployments.create(r, await deployments.requesterFor(req.principal!), req.body, { initiator: typeof initiator === "string" && initiator !== "" ? initiator : "api" });
      req.auditEntry = { orgId: r.org.id, description: `Created deployment ${d.version} (${d.operation}) of stack "${r.stack.project}/${r.stack.name}"` };
      return { id: d.id, consoleUrl: "", version: d.version };
    });
    app.get(P, async (req) => {
      const q = req.query as Params;
      return deployments.list(await ref(s, req, "read"), q["page"], q["pageSize"]);
    });
    app.get(`${P}/version/:version`, async (req) => {
      const r = await ref(s, req, "read");
      return deployments.view(r, await deployments.byVersion(r, (req.params as Params)["version"]!), baseUrl(req));
    });
    app.get(`${P}/:deploymentId`, async (req) => {
      const r = await ref(s, req, "read");
      return deployments.view(r, await deployments.byId(r, (req.params as Params)["deploymentId"]!), baseUrl(req));
    });
    app.get(`${P}/:deploymentId/logs`, async (req) => {
      const r = await ref(s, req, "read");
      return deployments.logs(await deployments.byId(r, (req.params as Params)["deploymentId"]!), req.query as Params);
    });
    app.get(`${P}/:deploymentId/updates`, async (req) => {
      const r = await ref(s, req, "read");
      return deployments.updates(r, await deployments.byId(r, (req.params as Params)["deploymentId"]!));
    });
    app.post(`${P}/:deploymentId/cancel`, { config: { audit: { event: "Deployment Cancelled" } } }, async (req) => {
      const r = await ref(s, req, "write");
      const d = await deployments.byId(r, (req.params as Params)["deploymentId"]!);
      await deployments.cancel(d);
      req.auditEntry = { orgId: r.org.id, description: `Cancelled deployment ${d.version} of stack "${r.stack.project}/${r.stack.name}"` };
      return {};
    });

    // ---- settings ----
    app.get(`${P}/settings`, async (req) => deployments.getSettings(await ref(s, req, "read")));
    app.post(`${P}/settings`, { config: { audit: { event: "Deployment Settings Updated" } } }, async (req) => {
      const r = await ref(s, req, "write");
      await deployments.patchSettings(r, req.body ?? {});
      req.auditEntry = { orgId: r.org.id, description: `Updated deployment settings of stack "${r.stack.project}/${r.stack.name}"` };
      return deployments.getSettings(r);
    });
    app.delete(`${P}/settings`, { config: { audit: { event: "Deployment Settings Deleted" } } }, async (req, reply) => {
      const r = await ref(s, req, "write");
      await deployments.deleteSettings(r);
      req.auditEntry = { orgId: r.org.id, description: `Deleted deployment settings of stack "${r.stack.project}/${r.stack.name}"` };
      return reply.code(204).send();
    });

    // ---- schedules ----
    const audited = (event: string) => ({ config: { audit: { event } } });
    const scheduleAudit = (req: FastifyRequest, r: StackRef, what: string) => {
      req.auditEntry = { orgId: r.org.id, description: `${what} of stack "${r.stack.project}/${r.stack.name}"` };
    };
    const createWith = (parse: (b: unknown) => ReturnType<typeof rawScheduleBody>, event: string) => async (req: FastifyRequest) => {
      const r = await ref(s, req, "write");
      const out = await schedules.create(r, await deployments.requesterFor(req.principal!), parse(req.body));
      scheduleAudit(req, r, `Created schedule ${String(out["id"])}`);
      return out;
    };
    const updateWith = (parse: (b: unknown) => ReturnType<typeof rawScheduleBody>) => async (req: FastifyRequest) => {
      const r = await ref(s, req, "write");
      const id = (req.params as Params)["scheduleId"]!;
      const out = await schedules.update(r, id, parse(req.body));
      scheduleAudit(req, r, `Updated schedule ${id}`);
      return out;
    };
    app.post(`${P}/schedules`, audited("Deployment Schedule Created"), createWith(rawScheduleBody, "created"));
    app.post(`${P}/drift/schedules`, audited("Drift Schedule Created"), createWith(driftScheduleBody, "created"));
    app.post(`${P}/ttl/schedules`, audited("TTL Schedule Created"), createWith(ttlScheduleBody, "created"));
    app.post(`${P}/schedules/:scheduleId`, audited("Deployment Schedule Updated"), updateWith(rawScheduleBody));
    app.post(`${P}/drift/schedules/:scheduleId`, audited("Drift Schedule Updated"), updateWith(driftScheduleBody));
    app.post(`${P}/ttl/schedules/:scheduleId`, audited("TTL Schedule Updated"), updateWith(ttlScheduleBody));
    app.get(`${P}/schedules`, async (req) => schedules.list(await ref(s, req, "read")));
    app.get(`${P}/schedules/:scheduleId`, async (req) => schedules.get(await ref(s, req, "read"), (req.params as Params)["scheduleId"]!));
    app.get(`${P}/schedules/:scheduleId/history`, async (req) => schedules.history(await ref(s, req, "read"), (req.params as Params)["scheduleId"]!));
    app.delete(`${P}/schedules/:scheduleId`, audited("Deployment Schedule Deleted"), async (req) => {
      const r = await ref(s, req, "write");
      const id = (req.params as Params)["scheduleId"]!;
      await schedules.remove(r, id);
      scheduleAudit(req, r, `Deleted schedule ${id}`);
      return {};
    });
    app.post(`${P}/schedules/:scheduleId/pause`, audited("Deployment Schedule Paused"), async (req) => {
      const r = await ref(s, req, "write");
      const id = (req.params as Params)["scheduleId"]!;
      await schedules.pause(r, id);
      scheduleAudit(req, r, `Paused schedule ${id}`);
      return {};
    });
    app.post(`${P}/schedules/:scheduleId/resume`, audited("Deployment Schedule Resumed"), async (req) => {
      const r = await ref(s, req, "write");
      const id = (req.params as Params)["scheduleId"]!;
      await schedules.resume(r, id);
      scheduleAudit(req, r, `Resumed schedule ${id}`);
      return {};
    });
  }

  // ---- agent pools ----
  const POOLS = "/api/orgs/:org/agent-pools";
  const org = async (req: FastifyRequest, admin: boolean) => (await s.identity.requireOrg(req.principal!, (req.params as Params)["org"]!, admin ? "admin" : "read")).org;
  app.post(POOLS, { config: { audit: { event: "Agent Pool Created", requireOrgAdmin: true } } }, async (req) => {
    const o = await org(req, true);
    const out = await pools.create(o, (req.body ?? {}) as Record<string, unknown>);
    req.auditEntry = { orgId: o.id, description: `Created agent pool ${out.id}` };
    return out;
  });
  app.get(POOLS, async (req) => pools.list(await org(req, false)));
  app.get(`${POOLS}/:poolId`, async (req) => pools.get(await org(req, false), (req.params as Params)["poolId"]!));
  app.patch(`${POOLS}/:poolId`, { config: { audit: { event: "Agent Pool Updated", requireOrgAdmin: true } } }, async (req) => {
    const o = await org(req, true);
    const id = (req.params as Params)["poolId"]!;
    const out = await pools.update(o, id, (req.body ?? {}) as Record<string, unknown>);
    req.auditEntry = { orgId: o.id, description: `Updated agent pool ${id}` };
    return out;
  });
  app.delete(`${POOLS}/:poolId`, { config: { audit: { event: "Agent Pool Deleted", requireOrgAdmin: true } } }, async (req, reply) => {
    const o = await org(req, true);
    const id = (req.params as Params)["poolId"]!;
    await pools.remove(o, id);
    req.auditEntry = { orgId: o.id, description: `Deleted agent pool ${id}` };
    return reply.code(204).send();
  });

  // ---- runner protocol ----
  const RUNNER = { config: { auth: "none" as const, auditExempt: "runner protocol: authenticated by pool and job tokens; deployments are audited when created" } };
  app.post("/api/stackyard/runner/claim", RUNNER, async (req, reply) => {
    const { poolKey } = await deployments.runnerPool(poolToken(req));
    const body = (req.body ?? {}) as { agent?: unknown; waitMs?: unknown };
    const waitMs = typeof body.waitMs === "number" ? body.waitMs : 0;
    const gone = new AbortController();
    reply.raw.on("close", () => {
      if (!reply.raw.writableFinished) gone.abort();
    });
    const job = await deployments.claim(poolKey, agentInfo(body.agent, req.ip), waitMs, gone.signal);
    if (!job) return reply.code(204).send();
    return job;
  });
  const job = async (req: FastifyRequest) => deployments.jobAuth((req.params as Params)["deploymentId"]!, jobToken(req));
  app.post("/api/stackyard/runner/jobs/:deploymentId/heartbeat", RUNNER, async (req) => {
    const d = await job(req);
    const waitMs = (req.body as { waitMs?: unknown } | undefined)?.waitMs;
    return deployments.heartbeat(d, typeof waitMs === "number" ? waitMs : 0);
  });
  app.post("/api/stackyard/runner/jobs/:deploymentId/steps/:step", RUNNER, async (req) => {
    const d = await job(req);
    const step = Number((req.params as Params)["step"]);
    if (!Number.isInteger(step) || step < 1) throw badRequest("step must be a positive integer");
    await deployments.setStep(d, step, String((req.body as { status?: unknown } | undefined)?.status ?? ""));
    return {};
  });
  app.post("/api/stackyard/runner/jobs/:deploymentId/logs", RUNNER, async (req) => {
    const d = await job(req);
    const body = (req.body ?? {}) as { step?: unknown; lines?: unknown };
    if (typeof body.step !== "number" || !Number.isInteger(body.step) || body.step < 1) throw badRequest("step must be a positive integer");
    await deployments.appendLogs(d, body.step, body.lines);
    return {};
  });
  app.post("/api/stackyard/runner/jobs/:deploymentId/complete", RUNNER, async (req) => {
    const d = await job(req);
    const body = (req.body ?? {}) as { status?: unknown; message?: unknown; driftDetected?: unknown };
    if (typeof body.status !== "string") throw badRequest("status is required");
    await deployments.complete(d, body.status, typeof body.message === "string" ? body.message : "", typeof body.driftDetected === "boolean" ? body.driftDetected : undefined);
    return {};
  });
  return mod;
}
