/** The documented REST API (seed examples: status codes and shapes) and the authorization rules, for any database. */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { get } from "node:http";
import type { ServiceOptions } from "../index.js";
import type { Api, TestService } from "../testing/harness.js";
import { apiClient, beginUpdate, deployment, programRequest, resource } from "../testing/harness.js";

const ORG = "stackyard";

export function restSuite(name: string, start: (opts: Partial<ServiceOptions>) => Promise<TestService>, skip: string | false = false): void {
describe(name, { skip }, () => {
let svc: TestService;
let alice: Api; // member of ORG
let bob: Api; // member of "other" only
let bobToken: string;

before(async () => {
  svc = await start({ stackListPageSize: 2 });
  const mk = async (login: string) => {
    const r = await svc.api("POST", "/api/stackyard/users", { body: { login, name: login.toUpperCase(), email: `${login}@example.com` } });
    assert.equal(r.status, 200, r.text);
    return r.json.tokenValue as string;
  };
  alice = apiClient(svc.url, await mk("alice"));
  bobToken = await mk("bob");
  bob = apiClient(svc.url, bobToken);
  assert.equal((await svc.api("POST", `/api/orgs/${ORG}/members/alice`, { body: { role: "member" } })).status, 204);
  assert.equal((await svc.api("POST", "/api/stackyard/orgs", { body: { name: "other" } })).status, 200);
  assert.equal((await svc.api("POST", "/api/orgs/other/members/bob", { body: { role: "member" } })).status, 204);
});
after(async () => {
  await svc.stop();
});

async function stack(name: string, project = "rest", tags: Record<string, string> = {}, api: Api = svc.api): Promise<string> {
  const r = await api("POST", `/api/stacks/${ORG}/${project}`, { body: { stackName: name, tags } });
  assert.equal(r.status, 200, r.text);
  return `/api/stacks/${ORG}/${project}/${name}`;
}

test("list stacks: filters by organization, project and tag, pages with a continuation token", async () => {
  await stack("l1", "listing", { env: "prod" });
  await stack("l2", "listing", { env: "dev" });
  await stack("l3", "listing", { env: "prod", team: "x" });
  const seen: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const r = await svc.api("GET", `/api/user/stacks?project=listing${token ? `&continuationToken=${token}` : ""}`);
    assert.equal(r.status, 200);
    for (const s of r.json.stacks) {
      assert.deepEqual(Object.keys(s).sort(), ["id", "orgName", "projectName", "resourceCount", "stackName"]);
      seen.push(s.stackName);
    }
    token = r.json.continuationToken;
    pages++;
  } while (token);
  assert.deepEqual(seen, ["l1", "l2", "l3"]);
  assert.equal(pages, 2);
  const prod = await svc.api("GET", "/api/user/stacks?project=listing&tagName=env&tagValue=prod");
  assert.deepEqual(prod.json.stacks.map((s: { stackName: string }) => s.stackName), ["l1", "l3"]);
  const hasTeam = await svc.api("GET", "/api/user/stacks?tagName=team");
  assert.deepEqual(hasTeam.json.stacks.map((s: { stackName: string }) => s.stackName), ["l3"]);
  const otherOrg = await svc.api("GET", "/api/user/stacks?organization=other&project=listing");
  assert.deepEqual(otherOrg.json, { stacks: [] });
  // bob sees none of ORG's stacks
  const bobs = await bob("GET", "/api/user/stacks?project=listing");
  assert.deepEqual(bobs.json, { stacks: [] });
  assert.equal((await svc.api("GET", "/api/user/stacks?continuationToken=zzz")).status, 400);
});

test("resources: count, latest, by version; export by version; updates list (cli and service shapes), status, events", async () => {
  const base = await stack("res");
  const u1 = await beginUpdate(svc.api, base);
  await svc.api("PATCH", `${base}/update/${u1.id}/checkpoint`, { leaseToken: u1.lease, gzip: true, body: { version: 3, deployment: deployment([resource("res", "a")]) } });
  await svc.api("POST", `${base}/update/${u1.id}/events/batch`, { leaseToken: u1.lease, body: { events: [{ sequence: 0, timestamp: 5, summaryEvent: { maybeCorrupt: false, durationSeconds: 1, resourceChanges: { create: 1 }, PolicyPacks: {} } }] } });
  await svc.api("POST", `${base}/update/${u1.id}/complete`, { leaseToken: u1.lease, body: { status: "succeeded" } });
  const u2 = await beginUpdate(svc.api, base);
  await svc.api("PATCH", `${base}/update/${u2.id}/checkpoint`, { leaseToken: u2.lease, body: { version: 3, deployment: deployment([resource("res", "a"), resource("res", "b")]) } });
  await svc.api("POST", `${base}/update/${u2.id}/complete`, { leaseToken: u2.lease, body: { status: "failed" } });

  assert.deepEqual((await svc.api("GET", `${base}/resources/count`)).json, { resourceCount: 2, version: 2 });
  const latest = await svc.api("GET", `${base}/resources/latest`);
  assert.equal(latest.json.version, 2);
  assert.deepEqual(latest.json.resources.map((x: { resource: { id: string } }) => x.resource.id), ["a-id", "b-id"]);
  const v1 = await svc.api("GET", `${base}/resources/1`);
  assert.deepEqual(v1.json.resources.map((x: { resource: { id: string } }) => x.resource.id), ["a-id"]);
  assert.equal(v1.json.version, 1);
  assert.equal((await svc.api("GET", `${base}/resources/9`)).status, 404);
  assert.equal((await svc.api("GET", `${base}/export/1`)).json.deployment.resources.length, 1);

  const cli = await svc.api("GET", `${base}/updates`);
  assert.deepEqual(cli.json.updates.map((u: { version: number; result: string }) => [u.version, u.result]), [[2, "failed"], [1, "succeeded"]]);
  const service = await svc.api("GET", `${base}/updates?output-type=service`);
  const first = service.json.updates[1];
  assert.equal(first.updateID, u1.id);
  assert.equal(first.version, 1);
  assert.equal(first.latestVersion, 2);
  assert.equal(first.requestedBy.githubLogin, "admin");
  assert.deepEqual(first.info.resourceChanges, { create: 1 });
  assert.equal(first.info.resourceCount, 1);
  assert.equal(service.json.total, 2);
  assert.deepEqual((await svc.api("GET", `${base}/updates?pageSize=1&page=3`)).json, { updates: [] });
  const lat = await svc.api("GET", `${base}/updates/latest`);
  assert.equal(lat.json.info.version, 2);

  assert.deepEqual((await svc.api("GET", `${base}/update/${u1.id}`)).json, { status: "succeeded", events: [] });
  const ev = await svc.api("GET", `${base}/update/${u1.id}/events`);
  assert.equal(ev.json.events[0].summaryEvent.resourceChanges.create, 1);
  assert.equal(ev.json.continuationToken, null);
  assert.equal((await svc.api("GET", `${base}/update/00000000-0000-0000-0000-000000000000`)).status, 404);

  const pv = await svc.api("POST", `${base}/update`, { body: programRequest(true) });
  const pvs = await svc.api("POST", `${base}/update/${pv.json.updateID}`, { body: {} });
  await svc.api("POST", `${base}/update/${pv.json.updateID}/complete`, { leaseToken: pvs.json.token, body: { status: "succeeded" } });
  const previews = await svc.api("GET", `${base}/updates/latest/previews`);
  assert.deepEqual(previews.json.updates.map((x: { updateID: string }) => x.updateID), [pv.json.updateID]);
  assert.equal(previews.json.updates[0].info.result, "succeeded");
});

test("stack tags: POST sets one, DELETE removes one; transfer moves a stack to another org", async () => {
  const base = await stack("tagged", "rest", { a: "1" });
  assert.equal((await svc.api("POST", `${base}/tags`, { body: { name: "b", value: "2" } })).status, 204);
  assert.equal((await svc.api("DELETE", `${base}/tags/a`)).status, 204);
  assert.equal((await svc.api("DELETE", `${base}/tags/a`)).status, 404);
  assert.deepEqual((await svc.api("GET", base)).json.tags, { b: "2" });

  const moved = await stack("moving");
  // bob is not a member here: 403 before anything else
  assert.equal((await bob("POST", `${moved}/transfer`, { body: { toOrg: "other" } })).status, 403);
  assert.equal((await svc.api("POST", `${moved}/transfer`, { body: { toOrg: "nowhere" } })).status, 404);
  assert.equal((await svc.api("POST", `${moved}/transfer`, { body: { toOrg: "other" } })).status, 204);
  assert.equal((await svc.api("GET", moved)).status, 404);
  const there = await svc.api("GET", "/api/stacks/other/rest/moving");
  assert.equal(there.json.orgName, "other");
  assert.equal((await bob("GET", "/api/stacks/other/rest/moving")).status, 200);
});

test("personal access tokens: create, list, use, revoke takes effect on the next request", async () => {
  const created = await alice("POST", "/api/user/tokens", { body: { description: "ci", expires: 0 } });
  assert.equal(created.status, 200);
  assert.match(created.json.tokenValue, /^pul-[0-9a-f]{40}$/);
  const mine = apiClient(svc.url, created.json.tokenValue);
  assert.equal((await mine("GET", "/api/user")).json.githubLogin, "alice");
  const list = await alice("GET", "/api/user/tokens");
  const entry = list.json.tokens.find((t: { id: string }) => t.id === created.json.id);
  assert.deepEqual(Object.keys(entry).sort(), ["description", "id", "lastUsed"]);
  assert.equal(entry.description, "ci");
  assert.equal((await bob("DELETE", `/api/user/tokens/${created.json.id}`)).status, 404, "not bob's token");
  assert.equal((await alice("DELETE", `/api/user/tokens/${created.json.id}`)).status, 204);
  assert.equal((await mine("GET", "/api/user")).status, 401);
  const expired = await alice("POST", "/api/user/tokens", { body: { description: "old", expires: 1000 } });
  assert.equal(expired.status, 400);
});

test("organization members and roles", async () => {
  const members = await alice("GET", `/api/orgs/${ORG}/members?type=backend`);
  assert.equal(members.status, 200);
  const a = members.json.members.find((m: { user: { githubLogin: string } }) => m.user.githubLogin === "alice");
  assert.deepEqual(a, { role: "member", user: { name: "ALICE", githubLogin: "alice", avatarUrl: "", email: "alice@example.com" }, knownToPulumi: true, virtualAdmin: false });
  // members cannot change membership
  assert.equal((await alice("POST", `/api/orgs/${ORG}/members/bob`, { body: { role: "member" } })).status, 403);
  assert.equal((await alice("PATCH", `/api/orgs/${ORG}/members/alice`, { body: { role: "admin" } })).status, 403);
  assert.equal((await bob("GET", `/api/orgs/${ORG}/members`)).status, 403);
  assert.equal((await svc.api("GET", `/api/orgs/nope-org/members`)).status, 404);
  // admins can; roles are validated; the last admin stays
  assert.equal((await svc.api("POST", `/api/orgs/${ORG}/members/bob`, { body: { role: "member" } })).status, 204);
  assert.equal((await svc.api("POST", `/api/orgs/${ORG}/members/bob`, { body: { role: "member" } })).status, 409);
  assert.equal((await svc.api("PATCH", `/api/orgs/${ORG}/members/bob`, { body: { role: "owner" } })).status, 400);
  assert.equal((await svc.api("PATCH", `/api/orgs/${ORG}/members/bob`, { body: { role: "admin" } })).status, 200);
  assert.equal((await bob("GET", `/api/orgs/${ORG}/tokens`)).status, 200, "bob is an admin now");
  assert.equal((await svc.api("DELETE", `/api/orgs/${ORG}/members/bob`)).status, 200);
  assert.equal((await bob("GET", `/api/orgs/${ORG}/members`)).status, 403, "removal takes effect at once");
  assert.equal((await svc.api("PATCH", `/api/orgs/${ORG}/members/admin`, { body: { role: "member" } })).status, 400);
});

test("organization tokens act for the org, cannot administer it, and stop working once deleted", async () => {
  const created = await svc.api("POST", `/api/orgs/${ORG}/tokens`, { body: { name: "ci-org", description: "CI", expires: 0 } });
  assert.equal(created.status, 200);
  assert.equal((await svc.api("POST", `/api/orgs/${ORG}/tokens`, { body: { name: "ci-org", description: "again" } })).status, 409);
  const list = await svc.api("GET", `/api/orgs/${ORG}/tokens`);
  const t = list.json.tokens.find((x: { name: string }) => x.name === "ci-org");
  assert.deepEqual(Object.keys(t).sort(), ["description", "expires", "id", "lastUsed", "name"]);
  const orgApi = apiClient(svc.url, created.json.tokenValue);
  const me = await orgApi("GET", "/api/user");
  assert.equal(me.json.githubLogin, ORG);
  assert.deepEqual(me.json.tokenInfo, { name: "ci-org", organization: ORG });
  await stack("org-made", "rest", {}, orgApi);
  assert.equal((await orgApi("DELETE", `/api/stacks/${ORG}/rest/org-made?force=true`)).status, 204);
  assert.equal((await orgApi("GET", `/api/orgs/${ORG}/tokens`)).status, 403);
  assert.equal((await orgApi("GET", `/api/stacks/other/rest/moving`)).status, 403);
  assert.equal((await alice("DELETE", `/api/orgs/${ORG}/tokens/${created.json.id}`)).status, 403);
  assert.equal((await svc.api("DELETE", `/api/orgs/${ORG}/tokens/${created.json.id}`)).status, 204);
  assert.equal((await orgApi("GET", "/api/user")).status, 401);
});

test("teams: create, list, membership, stack permissions, team tokens scoped to their grants", async () => {
  const granted = await stack("team-granted");
  const other = await stack("team-other");
  const created = await svc.api("POST", `/api/orgs/${ORG}/teams/pulumi`, { body: { name: "platform", displayName: "Platform", description: "infra" } });
  assert.equal(created.status, 200);
  assert.deepEqual({ ...created.json, members: created.json.members.map((m: { githubLogin: string }) => m.githubLogin) }, {
    kind: "pulumi", name: "platform", displayName: "Platform", description: "infra", members: ["admin"], stacks: [],
  });
  assert.equal((await svc.api("POST", `/api/orgs/${ORG}/teams/github`, { body: { name: "gh" } })).status, 400);
  assert.equal((await alice("POST", `/api/orgs/${ORG}/teams/pulumi`, { body: { name: "rogue" } })).status, 403);
  const teams = await alice("GET", `/api/orgs/${ORG}/teams`);
  assert.deepEqual(teams.json.teams.find((t: { name: string }) => t.name === "platform"), { kind: "pulumi", name: "platform", displayName: "Platform", description: "infra", userRole: "none" });

  assert.equal((await svc.api("PATCH", `/api/orgs/${ORG}/teams/platform`, { body: { memberAction: "add", member: "alice" } })).status, 200);
  assert.equal((await svc.api("PATCH", `/api/orgs/${ORG}/teams/platform`, { body: { memberAction: "add", member: "bob" } })).status, 400, "bob is not in the org");
  assert.equal((await alice("PATCH", `/api/orgs/${ORG}/teams/platform`, { body: { memberAction: "promote", member: "alice" } })).status, 403);
  assert.equal((await svc.api("PATCH", `/api/orgs/${ORG}/teams/platform`, { body: { addStackPermission: { projectName: "rest", stackName: "team-granted", permission: 101 } } })).status, 204);
  assert.equal((await svc.api("PATCH", `/api/orgs/${ORG}/teams/platform`, { body: { addStackPermission: { projectName: "rest", stackName: "team-granted", permission: 7 } } })).status, 400);
  const view = await svc.api("GET", `/api/orgs/${ORG}/teams/platform`);
  assert.deepEqual(view.json.stacks, [{ projectName: "rest", stackName: "team-granted", permission: 101 }]);

  const tok = await svc.api("POST", `/api/orgs/${ORG}/teams/platform/tokens`, { body: { name: "platform-ci", description: "d" } });
  assert.equal(tok.status, 200);
  const teamApi = apiClient(svc.url, tok.json.tokenValue);
  assert.equal((await teamApi("GET", granted)).status, 200);
  assert.equal((await teamApi("GET", other)).status, 403);
  assert.equal((await teamApi("PATCH", `${granted}/tags`, { body: { x: "y" } })).status, 403, "read grant only");
  assert.deepEqual((await teamApi("GET", "/api/user/stacks?project=rest")).json.stacks.map((s: { stackName: string }) => s.stackName), ["team-granted"]);
  assert.equal((await svc.api("PATCH", `/api/orgs/${ORG}/teams/platform`, { body: { addStackPermission: { projectName: "rest", stackName: "team-granted", permission: 102 } } })).status, 204);
  assert.equal((await teamApi("PATCH", `${granted}/tags`, { body: { x: "y" } })).status, 204);
  const teamTokens = await svc.api("GET", `/api/orgs/${ORG}/teams/platform/tokens`);
  assert.deepEqual(teamTokens.json.tokens.map((t: { name: string }) => t.name), ["platform-ci"]);
  assert.equal((await svc.api("PATCH", `/api/orgs/${ORG}/teams/platform`, { body: { removeStack: { projectName: "rest", stackName: "team-granted" } } })).status, 204);
  assert.equal((await teamApi("GET", granted)).status, 403, "revoked grants apply on the next request");
  assert.equal((await svc.api("DELETE", `/api/orgs/${ORG}/teams/platform/tokens/${tok.json.id}`)).status, 204);
  assert.equal((await teamApi("GET", "/api/user")).status, 401);
  assert.equal((await svc.api("DELETE", `/api/orgs/${ORG}/teams/platform`)).status, 200);
  assert.equal((await svc.api("GET", `/api/orgs/${ORG}/teams/platform`)).status, 404);
});

test("roles: members write stacks but administer only their own; outsiders get 403", async () => {
  const adminStack = await stack("admins-stack");
  assert.equal((await alice("PATCH", `${adminStack}/tags`, { body: { k: "v" } })).status, 204);
  assert.equal((await alice("DELETE", `${adminStack}?force=true`)).status, 403);
  assert.equal((await alice("POST", `${adminStack}/rename`, { body: { newName: "x", newProject: "rest" } })).status, 403);
  const own = await stack("alices-stack", "rest", {}, alice);
  assert.equal((await alice("DELETE", `${own}?force=false`)).status, 204);
  for (const [method, path] of [["GET", adminStack], ["GET", `${adminStack}/export`], ["POST", `${adminStack}/encrypt`], ["GET", `/api/orgs/${ORG}/teams`]] as const) {
    const r = await bob(method, path, { body: method === "POST" ? { plaintext: "" } : undefined });
    assert.equal(r.status, 403, `${method} ${path}`);
    assert.equal(r.json.code, 403);
  }
});

test("an expired lease frees the stack: the next update starts, the old lease gets 403", async () => {
  const base = await stack("expiring");
  const u = await beginUpdate(svc.api, base);
  await svc.db.run("UPDATE updates SET lease_expires = ? WHERE id = ?", [Math.floor(Date.now() / 1000) - 1, u.id]);
  assert.equal((await svc.api("POST", `${base}/update/${u.id}/renew_lease`, { leaseToken: u.lease, body: { token: "", duration: 300 } })).status, 403);
  const next = await beginUpdate(svc.api, base);
  assert.equal(next.version, 2, "the dead update consumed version 1");
  const h = await svc.api("GET", `${base}/updates`);
  assert.deepEqual(h.json.updates.map((x: { result: string }) => x.result), ["in-progress", "failed"]);
});

test("audit log: every mutation recorded; JSON paging and user filter; CSV and CEF export gzip", async () => {
  const all = await svc.api("GET", `/api/orgs/${ORG}/auditlogs?pageSize=1000`);
  assert.equal(all.status, 200);
  const logs = await svc.api("GET", `/api/orgs/${ORG}/auditlogs?pageSize=20`);
  assert.equal(logs.json.auditLogEvents.length, 20);
  const events = all.json.auditLogEvents as { event: string; description: string; user: { githubLogin: string }; timestamp: number; sourceIP: string }[];
  for (const name of ["Stack Created", "Stack Update Started", "Stack Update Completed", "Member Added", "Member Role Changed", "Team Created", "Organization Token Created", "Stack Transferred", "Stack Tag Set"]) {
    assert.ok(events.some((e) => e.event === name), `missing ${name}`);
  }
  assert.equal(typeof events[0]!.timestamp, "number");
  assert.equal(events[0]!.sourceIP, "127.0.0.1");
  assert.ok(logs.json.continuationToken, "more than one page");
  const next = await svc.api("GET", `/api/orgs/${ORG}/auditlogs?pageSize=20&continuationToken=${logs.json.continuationToken}`);
  assert.ok(next.json.auditLogEvents.length > 0);
  const byAlice = await svc.api("GET", `/api/orgs/${ORG}/auditlogs?userFilter=alice`);
  assert.ok(byAlice.json.auditLogEvents.length > 0);
  assert.ok(byAlice.json.auditLogEvents.every((e: { user: { githubLogin: string } }) => e.user.githubLogin === "alice"));
  const old = await svc.api("GET", `/api/orgs/${ORG}/auditlogs?startTime=1000`);
  assert.deepEqual(old.json.auditLogEvents, []);
  assert.equal((await alice("GET", `/api/orgs/${ORG}/auditlogs`)).status, 403);

  const csv = await fetch(`${svc.url}/api/orgs/${ORG}/auditlogs/export`, { headers: { Authorization: "token pul-0000000000000000000000000000000000000000" } });
  assert.equal(csv.headers.get("content-encoding"), "gzip");
  const csvText = await csv.text();
  const lines = csvText.trim().split("\n");
  assert.equal(lines[0], "Timestamp,Name,Login,Event,Description,SourceIP,RequireOrgAdmin,RequireStackAdmin,AuthenticationFailure");
  assert.match(lines[1]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ,/);
  assert.ok(lines.some((l) => /,Member Role Changed,"Changed organization role for ""bob"" to admin",127\.0\.0\.1,true,false,false$/.test(l)));
  // fetch undoes the gzip; read the raw bytes over node:http to see them compressed
  const raw = await new Promise<Buffer>((resolve, reject) => {
    const u = new URL(`${svc.url}/api/orgs/${ORG}/auditlogs/export?format=cef`);
    get({ host: u.hostname, port: u.port, path: u.pathname + u.search, headers: { Authorization: "token pul-0000000000000000000000000000000000000000" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve(Buffer.concat(chunks)));
    }).on("error", reject);
  });
  const cefText = gunzipSync(raw).toString();
  assert.match(cefText.split("\n")[0]!, /^CEF:0\|Stackyard\|Stackyard Service\|[^|]+\|[^|]+\|[^|]+\|\d\|rt=\d+ suser=/);
});

test("seed examples: get stack while an update runs, list with lastUpdate, transfer refused while locked", async () => {
  const base = await stack("seed-get", "seed", { "pulumi:project": "seed" });
  const u = await beginUpdate(svc.api, base);
  const g = await svc.api("GET", base);
  assert.equal(g.status, 200);
  assert.deepEqual(Object.keys(g.json).sort(), ["activeUpdate", "currentOperation", "id", "orgName", "projectName", "stackName", "tags", "version"]);
  assert.deepEqual({ ...g.json.currentOperation, started: typeof g.json.currentOperation.started }, { kind: "update", author: "admin", started: "number" });
  assert.equal(g.json.activeUpdate, u.id);
  assert.deepEqual(g.json.tags, { "pulumi:project": "seed" });
  // "This operation will return a 409 response error if an update is currently in progress."
  const t = await svc.api("POST", `${base}/transfer`, { body: { toOrg: "other" } });
  assert.equal(t.status, 409, t.text);
  assert.equal(t.json.code, 409);
  const running = await svc.api("GET", "/api/user/stacks?organization=stackyard&project=seed");
  assert.equal(running.json.stacks[0].lastUpdate, 0, "0 while an update runs");
  await svc.api("PATCH", `${base}/update/${u.id}/checkpoint`, { leaseToken: u.lease, body: { version: 3, deployment: deployment([resource("seed-get", "a"), resource("seed-get", "b")]) } });
  assert.equal((await svc.api("POST", `${base}/update/${u.id}/complete`, { leaseToken: u.lease, body: { status: "succeeded" } })).status, 204);
  const g2 = await svc.api("GET", base);
  assert.equal("currentOperation" in g2.json, false);
  assert.equal(g2.json.version, 1);
  const ls = await svc.api("GET", "/api/user/stacks?organization=stackyard&project=seed");
  const [entry] = ls.json.stacks;
  assert.deepEqual(Object.keys(entry).sort(), ["id", "lastUpdate", "orgName", "projectName", "resourceCount", "stackName"]);
  assert.deepEqual([entry.orgName, entry.projectName, entry.stackName, entry.resourceCount], ["stackyard", "seed", "seed-get", 2]);
  assert.ok(Number.isInteger(entry.lastUpdate) && entry.lastUpdate > 1_600_000_000, String(entry.lastUpdate));
  assert.equal("continuationToken" in ls.json, false, "no continuation token on the last page");
  // delete refuses a stack with resources unless forced; export by an unknown version is 404
  assert.equal((await svc.api("GET", `${base}/export/7`)).status, 404);
  const del = await svc.api("DELETE", base);
  assert.equal(del.status, 400);
  assert.equal(del.json.message, "Bad Request: Stack still contains resources.");
  assert.equal((await svc.api("DELETE", `${base}?force=true`)).status, 204);
  assert.equal((await svc.api("GET", base)).status, 404);
});

test("seed examples: updates list (service shape), pageSize=1&page=1, previews since the last update only", async () => {
  const base = await stack("seed-updates", "seed");
  const preview = async () => {
    const pv = await svc.api("POST", `${base}/update`, { body: programRequest(true) });
    const st = await svc.api("POST", `${base}/update/${pv.json.updateID}`, { body: {} });
    assert.equal((await svc.api("POST", `${base}/update/${pv.json.updateID}/complete`, { leaseToken: st.json.token, body: { status: "succeeded" } })).status, 204);
    return pv.json.updateID as string;
  };
  const before = await preview();
  for (const status of ["succeeded", "succeeded"]) {
    const u = await beginUpdate(svc.api, base);
    await svc.api("POST", `${base}/update/${u.id}/events/batch`, { leaseToken: u.lease, body: { events: [{ sequence: 0, timestamp: 5, summaryEvent: { maybeCorrupt: false, durationSeconds: 1, resourceChanges: { create: 2 }, PolicyPacks: {} } }] } });
    await svc.api("POST", `${base}/update/${u.id}/complete`, { leaseToken: u.lease, body: { status } });
  }
  const after1 = await preview();
  const after2 = await preview();

  const svcShape = await svc.api("GET", `${base}/updates?output-type=service`);
  assert.equal(svcShape.status, 200);
  assert.deepEqual(Object.keys(svcShape.json).sort(), ["itemsPerPage", "total", "updates"]);
  assert.equal(svcShape.json.total, 2, "previews never count as updates");
  const [newest] = svcShape.json.updates;
  for (const k of ["info", "updateID", "version", "latestVersion", "requestedBy"]) assert.ok(k in newest, `missing ${k}`);
  assert.deepEqual(Object.keys(newest.requestedBy).sort(), ["avatarUrl", "githubLogin", "name"]);
  for (const k of ["kind", "startTime", "message", "environment", "config", "result", "endTime", "version", "resourceChanges"]) assert.ok(k in newest.info, `info lacks ${k}`);
  assert.deepEqual([newest.version, newest.latestVersion, newest.info.kind, newest.info.result], [2, 2, "update", "succeeded"]);
  assert.deepEqual(newest.info.resourceChanges, { create: 2 });
  assert.equal(newest.info.environment["exec.kind"], "cli");

  const one = await svc.api("GET", `${base}/updates?pageSize=1&page=1`);
  assert.equal(one.json.updates.length, 1);
  assert.equal(one.json.updates[0].version, 2);
  assert.ok(Number.isInteger(one.json.updates[0].startTime) && Number.isInteger(one.json.updates[0].endTime));

  const previews = await svc.api("GET", `${base}/updates/latest/previews`);
  assert.equal(previews.status, 200);
  assert.deepEqual(previews.json.updates.map((x: { updateID: string }) => x.updateID).sort(), [after1, after2].sort());
  assert.ok(!previews.json.updates.some((x: { updateID: string }) => x.updateID === before), "a preview before the last update is not listed");
  assert.deepEqual(Object.keys(previews.json).sort(), ["itemsPerPage", "total", "updates"]);
  assert.deepEqual(Object.keys(previews.json.updates[0]).sort(), ["info", "latestVersion", "requestedBy", "updateID", "version"]);
  assert.equal(previews.json.updates[0].info.result, "succeeded");

  const status = await svc.api("GET", `${base}/update/${newest.updateID}`);
  assert.deepEqual(status.json, { status: "succeeded", events: [] });
  const events = await svc.api("GET", `${base}/update/${newest.updateID}/events`);
  assert.deepEqual(Object.keys(events.json).sort(), ["continuationToken", "events"]);
  assert.equal(events.json.continuationToken, null);
  assert.equal(events.json.events[0].summaryEvent.resourceChanges.create, 2);
});

test("seed examples: token lists hide expired tokens unless show_expired=true; shapes of org and team token lists", async () => {
  const live = await alice("POST", "/api/user/tokens", { body: { description: "live", expires: 0 } });
  const soon = await alice("POST", "/api/user/tokens", { body: { description: "soon", expires: Math.floor(Date.now() / 1000) + 3600 } });
  assert.equal(soon.status, 200, soon.text);
  assert.deepEqual(Object.keys(soon.json).sort(), ["id", "tokenValue"]);
  // let it lapse (the API refuses past expiry times, so age it in the database)
  await svc.db.run("UPDATE tokens SET expires = ? WHERE id = ?", [Math.floor(Date.now() / 1000) - 10, soon.json.id]);
  assert.equal((await apiClient(svc.url, soon.json.tokenValue)("GET", "/api/user")).status, 401, "an expired token is refused");
  const ids = async (q: string) => ((await alice("GET", `/api/user/tokens${q}`)).json.tokens as { id: string }[]).map((t) => t.id);
  assert.ok((await ids("")).includes(live.json.id));
  assert.ok(!(await ids("")).includes(soon.json.id));
  assert.ok((await ids("?show_expired=true")).includes(soon.json.id));

  const orgTok = await svc.api("POST", `/api/orgs/${ORG}/tokens`, { body: { name: "seed-org-tok", description: "d", expires: Math.floor(Date.now() / 1000) + 3600 } });
  assert.deepEqual(Object.keys(orgTok.json).sort(), ["id", "tokenValue"]);
  await svc.db.run("UPDATE tokens SET expires = ? WHERE id = ?", [Math.floor(Date.now() / 1000) - 10, orgTok.json.id]);
  const orgNames = async (q: string) => ((await svc.api("GET", `/api/orgs/${ORG}/tokens${q}`)).json.tokens as { name: string }[]).map((t) => t.name);
  assert.ok(!(await orgNames("")).includes("seed-org-tok"));
  assert.ok((await orgNames("?show_expired=true")).includes("seed-org-tok"));
  // names stay unique across the org, including deleted tokens
  assert.equal((await svc.api("DELETE", `/api/orgs/${ORG}/tokens/${orgTok.json.id}`)).status, 204);
  assert.equal((await svc.api("POST", `/api/orgs/${ORG}/tokens`, { body: { name: "seed-org-tok" } })).status, 409);
});

test("seed examples: team create and list shapes, membership 200, grants 204, delete 200; each writes an audit entry", async () => {
  const count = async () => (await svc.api("GET", `/api/orgs/${ORG}/auditlogs?pageSize=1000`)).json.auditLogEvents.length as number;
  const before = await count();
  await stack("seed-team-stack", "seed");
  const created = await svc.api("POST", `/api/orgs/${ORG}/teams/pulumi`, { body: { name: "example-team", displayName: "example display name", description: "example description" } });
  assert.equal(created.status, 200);
  assert.deepEqual(Object.keys(created.json).sort(), ["description", "displayName", "kind", "members", "name", "stacks"]);
  for (const k of ["avatarUrl", "githubLogin", "name"]) assert.ok(k in created.json.members[0], `team member lacks ${k}`);
  const list = await svc.api("GET", `/api/orgs/${ORG}/teams`);
  const t = list.json.teams.find((x: { name: string }) => x.name === "example-team");
  assert.deepEqual(t, { kind: "pulumi", name: "example-team", displayName: "example display name", description: "example description", userRole: "admin" });
  const patch = (body: unknown) => svc.api("PATCH", `/api/orgs/${ORG}/teams/example-team`, { body });
  const add = await patch({ memberAction: "add", member: "alice" });
  assert.equal(add.status, 200);
  assert.equal(add.text, "");
  assert.equal((await patch({ memberAction: "promote", member: "alice" })).status, 200);
  assert.equal((await patch({ memberAction: "demote", member: "alice" })).status, 200);
  assert.equal((await patch({ memberAction: "remove", member: "alice" })).status, 200);
  assert.equal((await patch({ memberAction: "fly", member: "alice" })).status, 400);
  assert.equal((await patch({ addStackPermission: { projectName: "seed", stackName: "seed-team-stack", permission: 103 } })).status, 204);
  assert.equal((await patch({ removeStack: { projectName: "seed", stackName: "seed-team-stack" } })).status, 204);
  const tok = await svc.api("POST", `/api/orgs/${ORG}/teams/example-team/tokens`, { body: { name: "seed-team-tok", description: "d", expires: 0 } });
  assert.deepEqual(Object.keys(tok.json).sort(), ["id", "tokenValue"]);
  const toks = await svc.api("GET", `/api/orgs/${ORG}/teams/example-team/tokens`);
  assert.deepEqual(Object.keys(toks.json.tokens[0]).sort(), ["description", "expires", "id", "lastUsed", "name"]);
  assert.equal((await svc.api("DELETE", `/api/orgs/${ORG}/teams/example-team/tokens/${tok.json.id}`)).status, 204);
  const del = await svc.api("DELETE", `/api/orgs/${ORG}/teams/example-team`);
  assert.equal(del.status, 200);
  assert.equal(del.text, "");
  // stack create + team create + 4 membership changes + grant + removal + token create + delete + team delete
  assert.equal((await count()) - before, 11);
  const events = (await svc.api("GET", `/api/orgs/${ORG}/auditlogs?pageSize=11`)).json.auditLogEvents as { event: string; timestamp: number }[];
  assert.deepEqual(events.map((e) => e.event), ["Team Deleted", "Team Token Deleted", "Team Token Created", "Team Modified", "Team Modified", "Team Modified", "Team Modified", "Team Modified", "Team Modified", "Team Created", "Stack Created"]);
  // startTime: entries older than the given time; the newest entries are at most "now"
  const newer = await svc.api("GET", `/api/orgs/${ORG}/auditlogs?startTime=${Math.floor(Date.now() / 1000) + 5}`);
  assert.ok(newer.json.auditLogEvents.length > 0);
  assert.ok(newer.json.auditLogEvents.every((e: { timestamp: number }) => e.timestamp < Math.floor(Date.now() / 1000) + 5));
});
});
}
