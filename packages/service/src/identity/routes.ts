import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Services } from "../http/context.js";
import { forbidden, notFound } from "../http/errors.js";
import type { Principal } from "./principal.js";

const tokenBody = {
  type: "object",
  properties: { description: { type: "string" }, name: { type: "string" }, expires: { type: "integer", minimum: 0 } },
} as const;

const roleBody = { type: "object", required: ["role"], properties: { role: { type: "string" } } } as const;

type Params = Record<string, string>;
const principal = (req: FastifyRequest): Principal => req.principal!;
const showExpired = (req: FastifyRequest): boolean => (req.query as Params)["show_expired"] === "true";

export function registerIdentityRoutes(app: FastifyInstance, s: Services): void {
  const { identity } = s;

  /** Personal events go to the user's default organization's log. */
  const userAuditOrg = async (p: Principal): Promise<string> => {
    if (p.orgId) return p.orgId;
    const orgs = await identity.store.orgsOfUser(p.userId!);
    return orgs[0]?.id ?? "";
  };

  app.get("/api/user", async (req) => identity.currentUser(principal(req)));

  app.get("/api/user/organizations/default", async (req) => {
    const org = await identity.defaultOrg(principal(req));
    if (!org) throw notFound("no default organization");
    return org;
  });

  // ---- personal access tokens ----------------------------------------------------------------
  app.get("/api/user/tokens", async (req) => ({ tokens: await identity.listPersonalTokens(principal(req), showExpired(req)) }));

  app.post("/api/user/tokens", { schema: { body: tokenBody }, config: { audit: { event: "Access Token Created" } } }, async (req) => {
    const b = (req.body ?? {}) as { description?: string; expires?: number };
    const created = await identity.createPersonalToken(principal(req), b.description ?? "", b.expires ?? 0);
    req.auditEntry = { orgId: await userAuditOrg(principal(req)), description: `Created personal access token "${created.id}"` };
    return created;
  });

  app.delete("/api/user/tokens/:tokenId", { config: { audit: { event: "Access Token Deleted" } } }, async (req, reply) => {
    const { tokenId } = req.params as Params;
    await identity.deletePersonalToken(principal(req), tokenId!);
    req.auditEntry = { orgId: await userAuditOrg(principal(req)), description: `Deleted personal access token "${tokenId}"` };
    return reply.code(204).send();
  });

  // ---- organization members --------------------------------------------------------------------
  app.get("/api/orgs/:org/members", async (req) => {
    const { org } = await identity.requireOrg(principal(req), (req.params as Params)["org"]!, "read");
    return { members: await identity.listMembers(org) };
  });

  app.post("/api/orgs/:org/members/:user", { schema: { body: roleBody }, config: { audit: { event: "Member Added", requireOrgAdmin: true } } }, async (req, reply) => {
    const p = req.params as Params;
    const { org } = await identity.requireOrg(principal(req), p["org"]!, "admin");
    const role = (req.body as { role: string }).role;
    await identity.addMember(org, p["user"]!, role);
    req.auditEntry = { orgId: org.id, description: `Added "${p["user"]}" to organization "${org.name}" as ${role}` };
    return reply.code(204).send();
  });

  app.patch("/api/orgs/:org/members/:user", { schema: { body: roleBody }, config: { audit: { event: "Member Role Changed", requireOrgAdmin: true } } }, async (req, reply) => {
    const p = req.params as Params;
    const { org } = await identity.requireOrg(principal(req), p["org"]!, "admin");
    const role = (req.body as { role: string }).role;
    await identity.setMemberRole(org, p["user"]!, role);
    req.auditEntry = { orgId: org.id, description: `Changed organization role for "${p["user"]}" to ${role}` };
    return reply.code(200).send();
  });

  app.delete("/api/orgs/:org/members/:user", { config: { audit: { event: "Member Removed", requireOrgAdmin: true } } }, async (req, reply) => {
    const p = req.params as Params;
    const { org } = await identity.requireOrg(principal(req), p["org"]!, "admin");
    await identity.removeMember(org, p["user"]!);
    req.auditEntry = { orgId: org.id, description: `Removed "${p["user"]}" from organization "${org.name}"` };
    return reply.code(200).send();
  });

  // ---- organization tokens ---------------------------------------------------------------------
  app.get("/api/orgs/:org/tokens", async (req) => {
    const { org } = await identity.requireOrg(principal(req), (req.params as Params)["org"]!, "admin");
    return { tokens: await identity.listOrgTokens(org, showExpired(req)) };
  });

  app.post("/api/orgs/:org/tokens", { schema: { body: { ...tokenBody, required: ["name"] } }, config: { audit: { event: "Organization Token Created", requireOrgAdmin: true } } }, async (req) => {
    const { org } = await identity.requireOrg(principal(req), (req.params as Params)["org"]!, "admin");
    const b = req.body as { name: string; description?: string; expires?: number };
    const created = await identity.createOrgToken(org, b.name, b.description ?? "", b.expires ?? 0);
    req.auditEntry = { orgId: org.id, description: `Created organization access token "${b.name}"` };
    return created;
  });

  app.delete("/api/orgs/:org/tokens/:tokenId", { config: { audit: { event: "Organization Token Deleted", requireOrgAdmin: true } } }, async (req, reply) => {
    const p = req.params as Params;
    const { org } = await identity.requireOrg(principal(req), p["org"]!, "admin");
    await identity.deleteOrgToken(org, p["tokenId"]!);
    req.auditEntry = { orgId: org.id, description: `Deleted organization access token "${p["tokenId"]}"` };
    return reply.code(204).send();
  });

  // ---- teams ---------------------------------------------------------------------------------
  app.get("/api/orgs/:org/teams", async (req) => {
    const { org } = await identity.requireOrg(principal(req), (req.params as Params)["org"]!, "read");
    return { teams: await identity.listTeams(principal(req), org) };
  });

  app.get("/api/orgs/:org/teams/:team", async (req) => {
    const p = req.params as Params;
    const { org } = await identity.requireOrg(principal(req), p["org"]!, "read");
    return identity.teamView(await identity.team(org, p["team"]!));
  });

  app.post(
    "/api/orgs/:org/teams/:teamType",
    { schema: { body: { type: "object", required: ["name"], properties: { name: { type: "string" }, displayName: { type: "string" }, description: { type: "string" } } } }, config: { audit: { event: "Team Created", requireOrgAdmin: true } } },
    async (req) => {
      const p = req.params as Params;
      const { org } = await identity.requireOrg(principal(req), p["org"]!, "admin");
      const team = await identity.createTeam(principal(req), org, p["teamType"]!, req.body as Record<string, unknown>);
      req.auditEntry = { orgId: org.id, description: `Created team "${team.name}"` };
      return team;
    },
  );

  app.delete("/api/orgs/:org/teams/:team", { config: { audit: { event: "Team Deleted", requireOrgAdmin: true } } }, async (req, reply) => {
    const p = req.params as Params;
    const { org } = await identity.requireOrg(principal(req), p["org"]!, "admin");
    const team = await identity.team(org, p["team"]!);
    await identity.deleteTeam(team);
    req.auditEntry = { orgId: org.id, description: `Deleted team "${team.name}"` };
    return reply.code(200).send();
  });

  /** One PATCH carries one of: a membership change, a stack grant, a stack grant removal. */
  app.patch(
    "/api/orgs/:org/teams/:team",
    {
      schema: {
        body: {
          type: "object",
          properties: {
            memberAction: { type: "string" }, member: { type: "string" },
            addStackPermission: { type: "object", required: ["projectName", "stackName", "permission"], properties: { projectName: { type: "string" }, stackName: { type: "string" }, permission: { type: "integer" } } },
            removeStack: { type: "object", required: ["projectName", "stackName"], properties: { projectName: { type: "string" }, stackName: { type: "string" } } },
            displayName: { type: "string" }, description: { type: "string" },
          },
        },
      },
      config: { audit: { event: "Team Modified" } },
    },
    async (req, reply) => {
      const p = req.params as Params;
      const { org } = await identity.requireOrg(principal(req), p["org"]!, "read");
      const team = await identity.team(org, p["team"]!);
      if (!(await identity.teamFacts(principal(req), org, team))) throw forbidden(`you must be an admin of team '${team.name}' or of organization '${org.name}'`);
      const b = (req.body ?? {}) as {
        memberAction?: string; member?: string; addStackPermission?: { projectName: string; stackName: string; permission: number };
        removeStack?: { projectName: string; stackName: string };
      };
      let description: string;
      if (b.memberAction !== undefined) {
        await identity.changeMembership(org, team, b.memberAction, b.member);
        description = `Team "${team.name}": ${b.memberAction} "${b.member}"`;
      } else if (b.addStackPermission) {
        const a = b.addStackPermission;
        const stack = await s.stacks.store.byName(org.id, a.projectName, a.stackName);
        if (!stack) throw notFound(`stack '${org.name}/${a.projectName}/${a.stackName}' not found`);
        await identity.setTeamStackPermission(team, stack.id, a.permission);
        description = `Granted team "${team.name}" permission ${a.permission} on stack "${a.projectName}/${a.stackName}"`;
      } else if (b.removeStack) {
        const r = b.removeStack;
        const stack = await s.stacks.store.byName(org.id, r.projectName, r.stackName);
        if (!stack) throw notFound(`stack '${org.name}/${r.projectName}/${r.stackName}' not found`);
        await identity.removeTeamStackPermission(team, stack.id);
        description = `Removed stack "${r.projectName}/${r.stackName}" from team "${team.name}"`;
      } else {
        throw Object.assign(new Error("body must carry memberAction, addStackPermission or removeStack"), { statusCode: 400 });
      }
      req.auditEntry = { orgId: org.id, description };
      // As documented: membership changes answer 200, stack grants 204 (both with no body).
      return reply.code(b.memberAction !== undefined ? 200 : 204).send();
    },
  );

  // ---- team tokens ---------------------------------------------------------------------------
  const teamAdmin = async (req: FastifyRequest) => {
    const p = req.params as Params;
    const { org } = await identity.requireOrg(principal(req), p["org"]!, "read");
    const team = await identity.team(org, p["team"]!);
    if (!(await identity.teamFacts(principal(req), org, team))) throw forbidden(`you must be an admin of team '${team.name}' or of organization '${org.name}'`);
    return { org, team };
  };

  app.get("/api/orgs/:org/teams/:team/tokens", async (req) => {
    const { team } = await teamAdmin(req);
    return { tokens: await identity.listTeamTokens(team, showExpired(req)) };
  });

  app.post("/api/orgs/:org/teams/:team/tokens", { schema: { body: { ...tokenBody, required: ["name"] } }, config: { audit: { event: "Team Token Created" } } }, async (req) => {
    const { org, team } = await teamAdmin(req);
    const b = req.body as { name: string; description?: string; expires?: number };
    const created = await identity.createTeamToken(team, b.name, b.description ?? "", b.expires ?? 0);
    req.auditEntry = { orgId: org.id, description: `Created access token "${b.name}" for team "${team.name}"` };
    return created;
  });

  app.delete("/api/orgs/:org/teams/:team/tokens/:tokenId", { config: { audit: { event: "Team Token Deleted" } } }, async (req, reply) => {
    const { org, team } = await teamAdmin(req);
    const tokenId = (req.params as Params)["tokenId"]!;
    await identity.deleteTeamToken(team, tokenId);
    req.auditEntry = { orgId: org.id, description: `Deleted access token "${tokenId}" of team "${team.name}"` };
    return reply.code(204).send();
  });

  // ---- site administration (Stackyard) -------------------------------------------------------
  app.post(
    "/api/stackyard/users",
    { schema: { body: { type: "object", required: ["login"], properties: { login: { type: "string" }, name: { type: "string" }, email: { type: "string" } } } }, config: { audit: { event: "User Created", requireOrgAdmin: true } } },
    async (req) => {
      const created = await identity.createUser(principal(req), req.body as Record<string, unknown>);
      req.auditEntry = { orgId: await userAuditOrg(principal(req)), description: `Created user "${created.githubLogin}"` };
      return created;
    },
  );

  app.post(
    "/api/stackyard/orgs",
    { schema: { body: { type: "object", required: ["name"], properties: { name: { type: "string" } } } }, config: { audit: { event: "Organization Created", requireOrgAdmin: true } } },
    async (req) => {
      const created = await identity.createOrg(principal(req), (req.body as { name: string }).name);
      const org = (await identity.store.orgByName(created.githubLogin))!;
      req.auditEntry = { orgId: org.id, description: `Created organization "${org.name}"` };
      return created;
    },
  );
}
