/**
 * The authorization matrix: every route the app registers (read from its route table, so a new
 * route is covered the day it lands) is called without credentials, with revoked and invalid
 * tokens, as an outsider from another organization (user and org token), and — for admin-only
 * routes — as a plain member. Every refusal carries the `{code, message}` body.
 */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import type { Api, Reply, TestService } from "../testing/harness.js";
import { apiClient, beginUpdate } from "../testing/harness.js";

const ORG = "stackyard";

/** Routes anyone may call: they are listed here, by hand, so a route cannot become public by accident. */
const PUBLIC_ROUTES = new Set(["GET /api/capabilities", "GET /", "GET /console", "GET /console/*"]);

/** Routes with their own credentials (deployment runners' pool and job tokens), never API tokens. */
const RUNNER_PREFIX = "/api/stackyard/runner/";

/** Routes outside any organization's path: they act on the caller's own records. */
const CALLER_SCOPED_ROUTES = new Set([
  "GET /api/user", "GET /api/user/organizations/default", "GET /api/user/stacks",
  "GET /api/user/tokens", "POST /api/user/tokens", "DELETE /api/user/tokens/:tokenId",
  "GET /api/registry/packages", "GET /api/registry/templates",
]);

/** Site administration: only the service's administrators. */
const SITE_ADMIN_ROUTES = new Set(["POST /api/stackyard/users", "POST /api/stackyard/orgs"]);

/** Reads only organization admins (or a team's admins) may make. */
const ADMIN_READS = new Set(["GET /api/orgs/:org/tokens", "GET /api/orgs/:org/auditlogs", "GET /api/orgs/:org/auditlogs/export", "GET /api/orgs/:org/teams/:team/tokens"]);

/** Bodies that pass validation, so an admin-only route's refusal comes from its role check. */
const VALID_BODIES: Record<string, unknown> = {
  "POST /api/orgs/:org/members/:user": { role: "member" },
  "PATCH /api/orgs/:org/members/:user": { role: "member" },
  "POST /api/orgs/:org/tokens": { name: "n" },
  "POST /api/orgs/:org/teams/:teamType": { name: "tname" },
  "POST /api/orgs/:org/teams/:team/tokens": { name: "tt" },
  "PATCH /api/orgs/:org/teams/:team": { memberAction: "add", member: "alice" },
  "POST /api/stackyard/users": { login: "zed" },
  "POST /api/stackyard/orgs": { name: "neworg" },
  "POST /api/stacks/:org/:project/:stack/rename": { newName: "x", newProject: "matrix" },
  "POST /api/stacks/:org/:project/:stack/transfer": { toOrg: ORG },
  "POST /api/orgs/:org/agent-pools": { name: "pool" },
  "PATCH /api/orgs/:org/agent-pools/:poolId": { name: "pool" },
};

interface Route {
  method: string;
  url: string;
  auth: string;
  key: string;
}

const hasBody = (method: string) => method !== "GET" && method !== "HEAD";

function assertErrorBody(r: Reply, status: number | number[], what: string): void {
  const allowed = Array.isArray(status) ? status : [status];
  assert.ok(allowed.includes(r.status), `${what}: got ${r.status} ${r.text.slice(0, 200)}, want ${allowed.join(" or ")}`);
  if (r.body.length === 0 && what.startsWith("HEAD")) return; // HEAD answers carry no body
  assert.equal(r.json?.code, r.status, `${what}: error body code (${r.text.slice(0, 200)})`);
  assert.equal(typeof r.json?.message, "string", `${what}: error body message`);
  assert.ok(r.json.message.length > 0, `${what}: empty message`);
}

export function authzMatrixSuite(name: string, start: () => Promise<TestService>, skip: string | false = false): void {
  describe(name, { skip }, () => {
    let svc: TestService;
    let routes: Route[];
    let alice: Api; // plain member of ORG
    let bob: Api; // member of "other" only
    let otherOrgToken: Api; // organization token of "other"
    const revoked: { kind: string; api: Api }[] = [];
    let params: Record<string, string>;

    const pathOf = (r: Route) => r.url.replace(/:(\w+)|\*$/g, (_m, k: string | undefined) => (k ? (params[k] ?? "x") : "index.html"));
    const call = (api: Api, r: Route, body?: unknown) => api(r.method, pathOf(r), { body: hasBody(r.method) ? (body ?? {}) : undefined });

    before(async () => {
      svc = await start();
      routes = svc.app.routeTable.map((r) => ({ method: r.method, url: r.url, auth: r.config.auth ?? "api", key: `${r.method} ${r.url}` }));
      const user = async (login: string) => {
        const r = await svc.api("POST", "/api/stackyard/users", { body: { login, name: login, email: `${login}@example.com` } });
        assert.equal(r.status, 200, r.text);
        return r.json.tokenValue as string;
      };
      const aliceToken = await user("alice");
      alice = apiClient(svc.url, aliceToken);
      bob = apiClient(svc.url, await user("bob"));
      assert.equal((await svc.api("POST", `/api/orgs/${ORG}/members/alice`, { body: { role: "member" } })).status, 204);
      assert.equal((await svc.api("POST", "/api/stackyard/orgs", { body: { name: "other" } })).status, 200);
      assert.equal((await svc.api("POST", "/api/orgs/other/members/bob", { body: { role: "member" } })).status, 204);
      const ot = await svc.api("POST", "/api/orgs/other/tokens", { body: { name: "other-ci" } });
      assert.equal(ot.status, 200, ot.text);
      otherOrgToken = apiClient(svc.url, ot.json.tokenValue);

      // stacks and a team the paths point at, so a refusal is never just "not found"
      for (const s of ["matrix", "matrix-admin"]) assert.equal((await svc.api("POST", `/api/stacks/${ORG}/matrix`, { body: { stackName: s } })).status, 200);
      assert.equal((await svc.api("POST", `/api/orgs/${ORG}/teams/pulumi`, { body: { name: "team1" } })).status, 200);
      const update = await beginUpdate(svc.api, `/api/stacks/${ORG}/matrix/matrix`);
      params = {
        org: ORG, project: "matrix", stack: "matrix", kind: "update", updateId: update.id, version: "1", tagName: "t",
        tokenId: "x", user: "alice", team: "team1", teamType: "pulumi", deploymentId: "x", scheduleId: "x", poolId: "x", step: "1",
      };

      // revoked credentials of every kind: a personal, an organization and a team token
      const revoke = async (kind: string, create: () => Promise<Reply>, del: (id: string) => string) => {
        const c = await create();
        assert.equal(c.status, 200, c.text);
        const api = apiClient(svc.url, c.json.tokenValue);
        assert.equal((await api("GET", `/api/stacks/${ORG}/matrix/matrix`)).status, 200, `${kind} token works before revocation`);
        assert.equal((await (kind === "personal" ? alice : svc.api)("DELETE", del(c.json.id))).status, 204);
        revoked.push({ kind, api });
      };
      await revoke("personal", () => alice("POST", "/api/user/tokens", { body: { description: "to revoke" } }), (id) => `/api/user/tokens/${id}`);
      await revoke("organization", () => svc.api("POST", `/api/orgs/${ORG}/tokens`, { body: { name: "to-revoke" } }), (id) => `/api/orgs/${ORG}/tokens/${id}`);
      assert.equal((await svc.api("PATCH", `/api/orgs/${ORG}/teams/team1`, { body: { addStackPermission: { projectName: "matrix", stackName: "matrix", permission: 101 } } })).status, 204);
      await revoke("team", () => svc.api("POST", `/api/orgs/${ORG}/teams/team1/tokens`, { body: { name: "team-revoke" } }), (id) => `/api/orgs/${ORG}/teams/team1/tokens/${id}`);
    });
    after(async () => {
      await svc?.stop();
    });

    test("every route is classified: public (listed), runner, caller-scoped (listed), site admin (listed) or under an organization", () => {
      assert.ok(routes.length > 50, `only ${routes.length} routes`);
      for (const r of routes) {
        const isPublic = r.auth === "none" || r.auth === "optional";
        if (r.url.startsWith(RUNNER_PREFIX)) continue;
        assert.equal(isPublic, PUBLIC_ROUTES.has(r.key), `${r.key}: auth '${r.auth}' disagrees with the public list`);
        if (isPublic) continue;
        const classes = [r.url.includes(":org"), CALLER_SCOPED_ROUTES.has(r.key), SITE_ADMIN_ROUTES.has(r.key)].filter(Boolean).length;
        assert.equal(classes, 1, `${r.key} must be under /:org or listed as caller-scoped or site-admin`);
      }
      for (const key of [...CALLER_SCOPED_ROUTES, ...SITE_ADMIN_ROUTES, ...ADMIN_READS]) {
        assert.ok(routes.some((r) => r.key === key), `listed route ${key} is not registered`);
      }
    });

    test("public routes answer without credentials", async () => {
      for (const r of routes.filter((x) => PUBLIC_ROUTES.has(x.key))) {
        const res = await svc.api(r.method, pathOf(r), { token: null });
        assert.notEqual(res.status, 401, r.key);
        assert.ok(res.status < 500, `${r.key}: ${res.status}`);
      }
    });

    test("no credentials, an unknown token, a malformed header, or a revoked token: 401 on every other route", async () => {
      let checked = 0;
      for (const r of routes.filter((x) => !PUBLIC_ROUTES.has(x.key))) {
        assertErrorBody(await call(apiClient(svc.url, ""), r), 401, `${r.key} without credentials`);
        assertErrorBody(await call(apiClient(svc.url, "pul-0123456789012345678901234567890123456789"), r), 401, `${r.key} with an unknown token`);
        const malformed = await svc.api(r.method, pathOf(r), { token: null, headers: { Authorization: "Basic YWRtaW46YWRtaW4=" }, body: hasBody(r.method) ? {} : undefined });
        assertErrorBody(malformed, 401, `${r.key} with a Basic header`);
        for (const { kind, api } of revoked) assertErrorBody(await call(api, r), 401, `${r.key} with a revoked ${kind} token`);
        checked++;
      }
      assert.ok(checked > 50, `only ${checked} routes checked`);
    });

    test("lease routes refuse API tokens and another update's lease", async () => {
      const other = await beginUpdate(svc.api, `/api/stacks/${ORG}/matrix/matrix-admin`);
      const lease = routes.filter((r) => r.auth === "lease");
      assert.ok(lease.length >= 7, `only ${lease.length} lease routes`);
      for (const r of lease) {
        assertErrorBody(await call(svc.api, r), 401, `${r.key} with an API token`);
        const res = await svc.api(r.method, pathOf(r), { leaseToken: other.lease, body: {} });
        assertErrorBody(res, [401, 403], `${r.key} with another update's lease`);
      }
      await svc.api("POST", `/api/stacks/${ORG}/matrix/matrix-admin/update/${other.id}/cancel`, { body: {} });
    });

    test("runner routes refuse users' API tokens: they take pool and job tokens (and a site admin's, for the default pool)", async () => {
      const runner = routes.filter((r) => r.url.startsWith(RUNNER_PREFIX));
      for (const r of runner) {
        for (const [who, api] of [["member", alice], ["outsider", bob], ["org token", otherOrgToken]] as const) {
          assertErrorBody(await call(api, r), 401, `${r.key} with a ${who}'s API token`);
        }
      }
    });

    test("another organization's member and organization token: 403 on every organization route", async () => {
      let checked = 0;
      for (const r of routes.filter((x) => x.url.includes(":org") && x.auth === "api")) {
        for (const [who, api] of [["member of another org", bob], ["another org's token", otherOrgToken]] as const) {
          assertErrorBody(await call(api, r), 403, `${r.key} as ${who}`);
        }
        checked++;
      }
      assert.ok(checked > 40, `only ${checked} routes checked`);
      // and nothing an outsider did took effect
      assert.equal((await svc.api("GET", `/api/stacks/${ORG}/matrix/matrix`)).status, 200);
      assert.equal((await svc.api("GET", `/api/stacks/${ORG}/matrix/matrix-admin`)).status, 200);
    });

    test("outsiders cannot touch caller-scoped records of others, nor administer the site", async () => {
      const t = await alice("POST", "/api/user/tokens", { body: { description: "alice's" } });
      assertErrorBody(await bob("DELETE", `/api/user/tokens/${t.json.id}`), 404, "deleting another user's token");
      assert.equal((await apiClient(svc.url, t.json.tokenValue)("GET", "/api/user")).status, 200, "the token still works");
      for (const key of SITE_ADMIN_ROUTES) {
        const r = routes.find((x) => x.key === key)!;
        for (const [who, api] of [["member", alice], ["outsider", bob], ["org token", otherOrgToken]] as const) {
          assertErrorBody(await call(api, r, VALID_BODIES[key]), 403, `${key} as ${who}`);
        }
      }
    });

    test("a plain member: 403 on admin-only routes, never 403 on the organization's other reads", async () => {
      params = { ...params, stack: "matrix-admin", user: "admin" };
      let admin = 0;
      let reads = 0;
      try {
        for (const r of routes.filter((x) => x.url.includes(":org") && x.auth === "api")) {
          const spec = svc.app.routeTable.find((x) => x.method === r.method && x.url === r.url)!.config.audit;
          const adminOnly = spec?.requireOrgAdmin || spec?.requireStackAdmin || ADMIN_READS.has(r.key);
          if (adminOnly) {
            assertErrorBody(await call(alice, r, VALID_BODIES[r.key]), 403, `${r.key} as a member`);
            admin++;
          } else if (r.method === "GET" || r.method === "HEAD") {
            const res = await call(alice, r);
            assert.notEqual(res.status, 403, `${r.key} as a member: ${res.text}`);
            assert.ok(res.status < 500, `${r.key} as a member: ${res.status} ${res.text}`);
            reads++;
          }
        }
      } finally {
        params = { ...params, stack: "matrix", user: "alice" };
      }
      assert.ok(admin >= 16, `only ${admin} admin routes found`);
      assert.ok(reads >= 20, `only ${reads} member reads checked`);
      // nothing above took effect
      assert.equal((await svc.api("GET", `/api/stacks/${ORG}/matrix/matrix-admin`)).status, 200);
      const members = await svc.api("GET", `/api/orgs/${ORG}/members`);
      assert.equal(members.json.members.find((m: { user: { githubLogin: string } }) => m.user.githubLogin === "admin").role, "admin");
    });

    test("every mutation either writes an audit entry or says why not", () => {
      for (const r of svc.app.routeTable) {
        if (!hasBody(r.method)) continue;
        assert.ok(r.config.audit || r.config.auditExempt, `${r.method} ${r.url} neither audits nor says why not`);
      }
    });

    test("unknown routes and methods: 404 with the error body", async () => {
      for (const [method, path] of [
        ["GET", "/api/nothing"], ["POST", "/api/nothing"], ["GET", "/api/orgs"], ["PUT", "/api/user"], ["DELETE", "/api/capabilities"],
        ["GET", `/api/stacks/${ORG}/matrix/matrix/a/b/c/d`], ["PATCH", `/api/stacks/${ORG}/matrix`], ["GET", "/nothing"],
      ] as const) {
        for (const token of [undefined, null]) {
          const r = await svc.api(method, path, { token, body: hasBody(method) ? {} : undefined });
          assertErrorBody(r, 404, `${method} ${path} (${token === null ? "anonymous" : "admin"})`);
        }
      }
    });
  });
}
