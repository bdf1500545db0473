import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Services } from "../http/context.js";
import { badRequest } from "../http/errors.js";
import type { Principal } from "../identity/principal.js";
import type { StackAction } from "../identity/permissions.js";
import { resourceCount, stateFromEnvelope } from "../updates/state.js";
import { isValidProjectName, isValidStackName } from "./names.js";
import type { StackRef } from "./service.js";

type Params = Record<string, string>;
export const STACK = "/api/stacks/:org/:project/:stack";

const principal = (req: FastifyRequest): Principal => req.principal!;

export function stackRef(s: Services, req: FastifyRequest, action: StackAction, opts?: { aliases?: boolean }): Promise<StackRef> {
  const p = req.params as Params;
  return s.stacks.resolve(principal(req), p["org"]!, p["project"]!, p["stack"]!, action, { ...opts, orgAccess: req.orgAccess });
}

/** The Stack wire shape (service-api.ts `Stack`); a schema lets Fastify serialize it quickly. */
const STACK_SCHEMA = {
  type: "object",
  required: ["id", "orgName", "projectName", "stackName", "activeUpdate", "tags", "version"],
  properties: {
    id: { type: "string" }, orgName: { type: "string" }, projectName: { type: "string" }, stackName: { type: "string" },
    currentOperation: { type: "object", properties: { kind: { type: "string" }, author: { type: "string" }, started: { type: "integer" } } },
    activeUpdate: { type: "string" }, tags: { type: "object", additionalProperties: { type: "string" } }, version: { type: "integer" },
  },
} as const;

export const describeStack = (ref: StackRef): string => `${ref.stack.project}/${ref.stack.name}`;

export function registerStackRoutes(app: FastifyInstance, s: Services): void {
  const { stacks } = s;

  app.get("/api/user/stacks", async (req) => {
    const q = req.query as Params;
    return stacks.list(principal(req), {
      organization: q["organization"], project: q["project"], tagName: q["tagName"], tagValue: q["tagValue"], continuationToken: q["continuationToken"],
    });
  });

  app.head("/api/stacks/:org/:project", async (req, reply) => {
    const p = req.params as Params;
    const exists = await stacks.projectExists(principal(req), p["org"]!, p["project"]!);
    return reply.code(exists ? 200 : 404).send();
  });

  app.post(
    "/api/stacks/:org/:project",
    {
      schema: {
        body: {
          type: "object", required: ["stackName"],
          properties: { stackName: { type: "string" }, tags: { type: "object", additionalProperties: { type: "string" } }, teams: { type: "array", items: { type: "string" } }, state: { type: "object" } },
        },
      },
      config: { audit: { event: "Stack Created" } },
    },
    async (req) => {
      const p = req.params as Params;
      const body = req.body as { stackName: string; tags?: Record<string, string>; teams?: string[]; state?: unknown };
      let initial: Buffer | undefined;
      if (body.state !== undefined) initial = stateFromEnvelope(Buffer.from(JSON.stringify(body.state)), "initial state");
      const ref = await stacks.create(principal(req), p["org"]!, p["project"]!, body, initial, initial ? resourceCount(initial) : 0);
      req.auditEntry = { orgId: ref.org.id, description: `Created stack "${describeStack(ref)}"` };
      return {};
    },
  );

  app.get(STACK, { schema: { response: { 200: STACK_SCHEMA } } }, async (req) => stacks.view(await stackRef(s, req, "read")));

  app.delete(STACK, { config: { audit: { event: "Stack Deleted", requireStackAdmin: true } } }, async (req, reply) => {
    const ref = await stackRef(s, req, "admin");
    await stacks.remove(ref, (req.query as Params)["force"] === "true");
    req.auditEntry = { orgId: ref.org.id, description: `Deleted stack "${describeStack(ref)}"` };
    return reply.code(204).send();
  });

  app.patch(`${STACK}/tags`, { schema: { body: { type: "object" } }, config: { audit: { event: "Stack Tags Updated" } } }, async (req, reply) => {
    const ref = await stackRef(s, req, "write");
    await stacks.replaceTags(ref, (req.body ?? {}) as Record<string, unknown>);
    req.auditEntry = { orgId: ref.org.id, description: `Replaced the tags of stack "${describeStack(ref)}"` };
    return reply.code(204).send();
  });

  app.post(
    `${STACK}/tags`,
    { schema: { body: { type: "object", required: ["name", "value"], properties: { name: { type: "string" }, value: { type: "string" } } } }, config: { audit: { event: "Stack Tag Set" } } },
    async (req, reply) => {
      const ref = await stackRef(s, req, "write");
      const b = req.body as { name: string; value: string };
      await stacks.setTag(ref, b.name, b.value);
      req.auditEntry = { orgId: ref.org.id, description: `Set tag "${b.name}" of stack "${describeStack(ref)}"` };
      return reply.code(204).send();
    },
  );

  app.delete(`${STACK}/tags/:tagName`, { config: { audit: { event: "Stack Tag Deleted" } } }, async (req, reply) => {
    const ref = await stackRef(s, req, "write");
    const name = (req.params as Params)["tagName"]!;
    await stacks.deleteTag(ref, name);
    req.auditEntry = { orgId: ref.org.id, description: `Deleted tag "${name}" of stack "${describeStack(ref)}"` };
    return reply.code(204).send();
  });

  app.post(
    `${STACK}/rename`,
    { schema: { body: { type: "object", properties: { newName: { type: "string" }, newProject: { type: "string" } } } }, config: { audit: { event: "Stack Renamed", requireStackAdmin: true } } },
    async (req, reply) => {
      const ref = await stackRef(s, req, "admin");
      const b = req.body as { newName?: string; newProject?: string };
      const name = b.newName || ref.stack.name;
      const project = b.newProject || ref.stack.project;
      if (!isValidStackName(name)) throw badRequest(`invalid stack name '${name}'`);
      if (!isValidProjectName(project)) throw badRequest(`invalid project name '${project}'`);
      await s.updates.move(principal(req), ref, { orgId: ref.org.id, orgName: ref.org.name, project, name }, `renamed from ${describeStack(ref)}`);
      req.auditEntry = { orgId: ref.org.id, description: `Renamed stack "${describeStack(ref)}" to "${project}/${name}"` };
      return reply.code(204).send();
    },
  );

  app.post(
    `${STACK}/transfer`,
    { schema: { body: { type: "object", required: ["toOrg"], properties: { toOrg: { type: "string" } } } }, config: { audit: { event: "Stack Transferred", requireStackAdmin: true } } },
    async (req, reply) => {
      const ref = await stackRef(s, req, "admin");
      const toOrg = (req.body as { toOrg: string }).toOrg;
      const { org: target } = await s.identity.requireOrg(principal(req), toOrg, "create-stack");
      await s.updates.move(principal(req), ref, { orgId: target.id, orgName: target.name, project: ref.stack.project, name: ref.stack.name }, `transferred from ${ref.org.name}`);
      req.auditEntry = { orgId: ref.org.id, description: `Transferred stack "${describeStack(ref)}" to organization "${target.name}"` };
      await s.audit.record({ orgId: target.id, event: "Stack Transferred", description: `Received stack "${describeStack(ref)}" from organization "${ref.org.name}"`, sourceIP: req.ip, principal: principal(req), requireStackAdmin: true });
      return reply.code(204).send();
    },
  );

  // ---- resources (REST) ----------------------------------------------------------------------
  app.get(`${STACK}/resources/count`, async (req) => {
    const ref = await stackRef(s, req, "read");
    return { resourceCount: ref.stack.resource_count, version: ref.stack.version };
  });

  const resources = (state: Buffer, version: number) => {
    const parsed = JSON.parse(state.toString("utf8")) as { deployment?: { resources?: unknown[] } };
    return { resources: (parsed.deployment?.resources ?? []).map((resource) => ({ resource })), version };
  };

  app.get(`${STACK}/resources/latest`, async (req) => {
    const ref = await stackRef(s, req, "read");
    return resources(await s.updates.currentState(ref.stack), ref.stack.version);
  });

  app.get(`${STACK}/resources/:version`, async (req) => {
    const ref = await stackRef(s, req, "read");
    const version = Number((req.params as Params)["version"]);
    return resources(await s.updates.stateAtVersion(ref.stack, version), version);
  });
}
