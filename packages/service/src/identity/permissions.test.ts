import { test } from "node:test";
import assert from "node:assert/strict";
import type { OrgFacts, StackFacts } from "./permissions.js";
import { DEFAULT_MEMBER_PERMISSION, StackPermission, canAdministerTeam, canOrg, canStack, stackPermission } from "./permissions.js";

const user = (orgRole: OrgFacts["orgRole"]): OrgFacts => ({ kind: "user", orgRole, tokenOrgMatches: false });
const stack = (f: OrgFacts, extra: Partial<StackFacts> = {}): StackFacts => ({
  ...f, isCreator: false, teamPermissions: [], defaultMemberPermission: DEFAULT_MEMBER_PERMISSION, ...extra,
});

test("org actions by role and token kind", () => {
  assert.equal(canOrg(user("admin"), "admin"), true);
  assert.equal(canOrg(user("member"), "admin"), false);
  assert.equal(canOrg(user("member"), "read"), true);
  assert.equal(canOrg(user("member"), "create-stack"), true);
  assert.equal(canOrg(user(null), "read"), false, "outsiders see nothing");
  assert.equal(canOrg({ kind: "org", orgRole: null, tokenOrgMatches: true }, "create-stack"), true);
  assert.equal(canOrg({ kind: "org", orgRole: null, tokenOrgMatches: true }, "admin"), false, "org tokens cannot administer membership");
  assert.equal(canOrg({ kind: "org", orgRole: null, tokenOrgMatches: false }, "read"), false, "tokens of another org");
  assert.equal(canOrg({ kind: "team", orgRole: null, tokenOrgMatches: true }, "read"), true);
});

test("stack permission: admins and creators administer, members get the default, teams raise it", () => {
  assert.equal(stackPermission(stack(user("admin"))), StackPermission.Admin);
  assert.equal(stackPermission(stack(user("member"), { isCreator: true })), StackPermission.Admin);
  assert.equal(stackPermission(stack(user("member"))), DEFAULT_MEMBER_PERMISSION);
  assert.equal(stackPermission(stack(user("member"), { defaultMemberPermission: StackPermission.Read, teamPermissions: [101, 103] })), StackPermission.Admin);
  assert.equal(stackPermission(stack(user("member"), { defaultMemberPermission: StackPermission.None })), StackPermission.None);
  assert.equal(stackPermission(stack(user(null), { teamPermissions: [103] })), StackPermission.None, "grants do not outlive membership");
});

test("team tokens carry only their team's grants; org tokens administer their org's stacks", () => {
  const team: OrgFacts = { kind: "team", orgRole: null, tokenOrgMatches: true };
  assert.equal(canStack(stack(team), "read"), false);
  assert.equal(canStack(stack(team, { teamPermissions: [101] }), "read"), true);
  assert.equal(canStack(stack(team, { teamPermissions: [101] }), "write"), false);
  assert.equal(canStack(stack(team, { teamPermissions: [102] }), "write"), true);
  assert.equal(canStack(stack(team, { teamPermissions: [102] }), "admin"), false);
  const org: OrgFacts = { kind: "org", orgRole: null, tokenOrgMatches: true };
  assert.equal(canStack(stack(org), "admin"), true);
  assert.equal(canStack(stack({ ...org, tokenOrgMatches: false }), "read"), false);
});

test("stack actions need read < write < admin", () => {
  const reader = stack(user("member"), { defaultMemberPermission: StackPermission.Read });
  assert.deepEqual(["read", "write", "admin"].map((a) => canStack(reader, a as "read")), [true, false, false]);
  const writer = stack(user("member"));
  assert.deepEqual(["read", "write", "admin"].map((a) => canStack(writer, a as "read")), [true, true, false]);
});

test("teams are administered by org admins and the team's own admins", () => {
  assert.equal(canAdministerTeam(user("admin"), null), true);
  assert.equal(canAdministerTeam(user("member"), "admin"), true);
  assert.equal(canAdministerTeam(user("member"), "member"), false);
  assert.equal(canAdministerTeam(user(null), "admin"), false);
  assert.equal(canAdministerTeam({ kind: "team", orgRole: null, tokenOrgMatches: true }, null), false);
});
