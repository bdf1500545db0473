import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { TextEdit, UpdateProgramRequest } from "@stackyard/protocol";
import type { Services } from "../http/context.js";
import { badRequest } from "../http/errors.js";
import type { Principal } from "../identity/principal.js";
import { parseAuthorization } from "../identity/tokens.js";
import { STACK, describeStack, stackRef } from "../stacks/routes.js";
import type { UpdateRow } from "./store.js";

type Params = Record<string, string>;
const UPDATE = `${STACK}/:kind/:updateId`;
const principal = (req: FastifyRequest): Principal => req.principal!;

const leaseConfig = (reason: string, rawBody = false) => ({ auth: "lease" as const, auditExempt: reason, rawBody, serverTiming: true });

function sendState(reply: FastifyReply, state: Buffer): FastifyReply {
  return reply.type("application/json").send(state);
}

export function registerUpdateRoutes(app: FastifyInstance, s: Services): void {
  const { updates } = s;

  const lease = (req: FastifyRequest): UpdateRow => req.update!;

  // ---- state ---------------------------------------------------------------------------------
  app.get(`${STACK}/export`, { config: { serverTiming: true } }, async (req, reply) => {
    const ref = await stackRef(s, req, "read");
    return sendState(reply, await updates.currentState(ref.stack));
  });

  app.get(`${STACK}/export/:version`, async (req, reply) => {
    const ref = await stackRef(s, req, "read");
    const v = (req.params as Params)["version"]!;
    if (!/^\d+$/.test(v)) throw badRequest(`invalid version '${v}'`);
    return sendState(reply, await updates.stateAtVersion(ref.stack, Number(v)));
  });

  app.post(`${STACK}/import`, { config: { rawBody: true, audit: { event: "Stack Imported" } } }, async (req) => {
    const ref = await stackRef(s, req, "write");
    if (!Buffer.isBuffer(req.body) || req.body.length === 0) throw badRequest("the request body must be a deployment");
    const updateId = await updates.importState(principal(req), ref, req.body);
    req.auditEntry = { orgId: ref.org.id, description: `Imported a deployment into stack "${describeStack(ref)}" (update "${updateId}")` };
    return { updateId };
  });

  // ---- history -------------------------------------------------------------------------------
  app.get(`${STACK}/updates`, async (req) => {
    const ref = await stackRef(s, req, "read");
    const q = req.query as Params;
    const pageSize = q["pageSize"] !== undefined ? Number(q["pageSize"]) : undefined;
    const page = q["page"] !== undefined ? Number(q["page"]) : undefined;
    if ((pageSize !== undefined && !(pageSize > 0)) || (page !== undefined && !(page > 0))) throw badRequest("page and pageSize must be positive integers");
    const items = await updates.history(ref, page, pageSize);
    if (q["output-type"] === "service") {
      return { updates: items.map((i) => updates.serviceInfo(ref, i.row, i.info)), itemsPerPage: pageSize ?? items.length, total: await updates.historyTotal(ref) };
    }
    return { updates: items.map((i) => i.info) };
  });

  app.get(`${STACK}/updates/latest`, async (req) => {
    const ref = await stackRef(s, req, "read");
    const [latest] = await updates.history(ref, 1, 1);
    if (!latest) throw Object.assign(new Error("no previous deployment"), { statusCode: 404 });
    return { ...updates.serviceInfo(ref, latest.row, latest.info), info: latest.info };
  });

  app.get(`${STACK}/updates/latest/previews`, async (req) => {
    const ref = await stackRef(s, req, "read");
    const q = req.query as Params;
    const pageSize = Number(q["pageSize"] ?? 10) || 10;
    const page = Number(q["page"] ?? 1) || 1;
    const list = await updates.latestPreviews(ref, page, pageSize, q["asc"] === "true");
    return { updates: list, itemsPerPage: pageSize, total: list.length };
  });

  // ---- lifecycle -----------------------------------------------------------------------------
  app.post(
    `${STACK}/:kind`,
    { schema: { body: { type: "object", properties: { options: { type: "object" }, config: { type: "object" }, metadata: { type: "object" } } } }, config: { audit: { event: "Stack Update Requested" } } },
    async (req) => {
      const ref = await stackRef(s, req, "write");
      const kind = (req.params as Params)["kind"]!;
      const body = (req.body ?? {}) as UpdateProgramRequest;
      const updateID = await updates.create(principal(req), ref, kind, { ...body, options: body.options ?? {} });
      req.auditEntry = { orgId: ref.org.id, description: `Requested ${kind} "${updateID}" for stack "${describeStack(ref)}"` };
      return { updateID, requiredPolicies: [], messages: [] };
    },
  );

  app.post(
    UPDATE,
    { schema: { body: { type: ["object", "null"], properties: { tags: { type: ["object", "null"], additionalProperties: { type: "string" } }, journalVersion: { type: "integer" } } } }, config: { audit: { event: "Stack Update Started" } } },
    async (req) => {
      const ref = await stackRef(s, req, "write");
      const id = (req.params as Params)["updateId"]!;
      const started = await updates.start(ref, id, (req.body ?? {}) as { tags?: Record<string, string> | null; journalVersion?: number }, req.headers["user-agent"]);
      req.auditEntry = { orgId: ref.org.id, description: `Started update "${id}" for stack "${describeStack(ref)}"` };
      return started;
    },
  );

  app.get(UPDATE, async (req) => {
    const ref = await stackRef(s, req, "read");
    const u = await updates.update(ref, (req.params as Params)["updateId"]!);
    const finished = u.status !== "running" && u.status !== "not started";
    const token = (req.query as Params)["continuationToken"];
    return finished ? { status: u.status, events: [] } : { status: u.status, events: [], continuationToken: token ?? "0" };
  });

  app.get(`${UPDATE}/events`, async (req) => {
    const ref = await stackRef(s, req, "read");
    const u = await updates.update(ref, (req.params as Params)["updateId"]!);
    return updates.eventsPage(u, (req.query as Params)["continuationToken"]);
  });

  app.post(`${UPDATE}/cancel`, { config: { audit: { event: "Stack Update Canceled" } } }, async (req, reply) => {
    const ref = await stackRef(s, req, "write");
    const id = (req.params as Params)["updateId"]!;
    await updates.cancel(ref, id);
    req.auditEntry = { orgId: ref.org.id, description: `Canceled update "${id}" for stack "${describeStack(ref)}"` };
    return reply.code(204).send();
  });

  // ---- lease-token routes: the data path of a running update ---------------------------------
  const perStep = "per-step data of a running update; its start and completion are audited";

  app.patch(`${UPDATE}/checkpoint`, { config: leaseConfig(perStep, true) }, async (req, reply) => {
    const u = lease(req);
    await updates.checkpointFull(u, req.body as Buffer);
    return reply.code(204).send();
  });

  app.patch(`${UPDATE}/checkpointverbatim`, { config: leaseConfig(perStep, true) }, async (req, reply) => {
    const u = lease(req);
    await updates.checkpointVerbatim(u, req.body as Buffer);
    return reply.code(204).send();
  });

  app.patch(
    `${UPDATE}/checkpointdelta`,
    {
      schema: {
        body: {
          type: "object", required: ["checkpointHash", "sequenceNumber", "deploymentDelta"],
          properties: { version: { type: "integer" }, checkpointHash: { type: "string" }, sequenceNumber: { type: "integer" }, deploymentDelta: { type: ["array", "null"] } },
        },
      },
      config: leaseConfig(perStep),
    },
    async (req, reply) => {
      const u = lease(req);
      const b = req.body as { checkpointHash: string; sequenceNumber: number; deploymentDelta: TextEdit[] | null };
      await updates.checkpointDelta(u, { ...b, deploymentDelta: b.deploymentDelta ?? [] });
      return reply.code(204).send();
    },
  );

  app.patch(`${UPDATE}/journalentries`, { schema: { body: { type: "object", required: ["entries"] } }, config: leaseConfig(perStep) }, async (req, reply) => {
    const u = lease(req);
    await updates.journalEntries(u, (req.body as { entries: unknown }).entries);
    return reply.code(204).send();
  });

  app.post(`${UPDATE}/events/batch`, { schema: { body: { type: "object", required: ["events"] } }, config: leaseConfig(perStep) }, async (req, reply) => {
    const u = lease(req);
    await updates.events(u, (req.body as { events: unknown }).events);
    return reply.code(204).send();
  });

  app.post(`${UPDATE}/renew_lease`, { schema: { body: { type: ["object", "null"], properties: { duration: { type: "number" } } } }, config: leaseConfig("extends a lease; no state changes") }, async (req) => {
    const u = lease(req);
    const auth = parseAuthorization(req.headers.authorization)!;
    return updates.renew(u, (req.body as { duration?: number } | undefined)?.duration ?? 300, auth.value);
  });

  app.post(
    `${UPDATE}/complete`,
    { schema: { body: { type: "object", required: ["status"], properties: { status: { type: "string" } } } }, config: { auth: "lease", leaseAllowFinished: true, audit: { event: "Stack Update Completed" } } },
    async (req, reply) => {
      const u = lease(req);
      const status = (req.body as { status: string }).status;
      const wasRunning = u.status === "running";
      await updates.complete(u, status);
      if (wasRunning) {
        const p = req.params as Params;
        const org = (await s.identity.store.orgByName(p["org"]!))!;
        const requester = u.requested_by ? await s.identity.store.userById(u.requested_by) : undefined;
        const program = JSON.parse(u.program) as { requester?: string };
        const login = requester?.login ?? program.requester ?? "";
        await s.audit.record({
          orgId: org.id, event: "Stack Update Completed", sourceIP: req.ip,
          description: `Update "${u.id}" for stack "${p["project"]}/${p["stack"]}" ${status}`,
          principal: { kind: "user", tokenId: "", tokenName: "update-token", login, displayName: requester?.name ?? login, siteAdmin: false },
        });
      }
      return reply.code(204).send();
    },
  );
}
