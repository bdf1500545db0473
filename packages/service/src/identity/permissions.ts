/**
 * Authorization decisions as pure functions of facts the stores gather; routes only ask.
 * Stack permission levels are the documented team grant values.
 */
import type { OrgRole } from "@stackyard/protocol";

export const StackPermission = { None: 0, Read: 101, Write: 102, Admin: 103 } as const;
export type StackPermissionLevel = (typeof StackPermission)[keyof typeof StackPermission];

export type PrincipalKind = "user" | "org" | "team";

/** What a stack action needs. */
export type StackAction = "read" | "write" | "admin";

/** Org-level actions: reading members/teams, creating stacks, administering the org. */
export type OrgAction = "read" | "create-stack" | "admin";

export interface OrgFacts {
  kind: PrincipalKind;
  /** Role of a user principal in the org; null when not a member (or not a user principal). */
  orgRole: OrgRole | null;
  /** Whether an org or team token belongs to this org. */
  tokenOrgMatches: boolean;
}

export interface StackFacts extends OrgFacts {
  isCreator: boolean;
  /** Permissions granted to the principal's teams (or, for a team token, its team) on the stack. */
  teamPermissions: readonly number[];
  /** What plain members get on every stack of the org. */
  defaultMemberPermission: StackPermissionLevel;
}

export const DEFAULT_MEMBER_PERMISSION: StackPermissionLevel = StackPermission.Write;

export function isOrgMember(f: OrgFacts): boolean {
  return f.kind === "user" ? f.orgRole !== null : f.tokenOrgMatches;
}

export function canOrg(f: OrgFacts, action: OrgAction): boolean {
  if (!isOrgMember(f)) return false;
  switch (action) {
    case "read":
    case "create-stack":
      return true;
    case "admin":
      return f.kind === "user" && f.orgRole === "admin";
  }
}

/** Team membership and team tokens are managed by org admins and by the team's own admins. */
export function canAdministerTeam(f: OrgFacts, teamRole: "admin" | "member" | null): boolean {
  return canOrg(f, "admin") || (f.kind === "user" && f.orgRole !== null && teamRole === "admin");
}

export function stackPermission(f: StackFacts): number {
  if (!isOrgMember(f)) return StackPermission.None;
  const fromTeams = f.teamPermissions.length > 0 ? Math.max(...f.teamPermissions) : StackPermission.None;
  switch (f.kind) {
    case "org":
      return StackPermission.Admin;
    case "team":
      return fromTeams;
    case "user":
      if (f.orgRole === "admin" || f.isCreator) return StackPermission.Admin;
      return Math.max(f.defaultMemberPermission, fromTeams);
  }
}

export function requiredPermission(action: StackAction): number {
  return action === "read" ? StackPermission.Read : action === "write" ? StackPermission.Write : StackPermission.Admin;
}

export function canStack(f: StackFacts, action: StackAction): boolean {
  return stackPermission(f) >= requiredPermission(action);
}

export function isValidPermission(p: unknown): p is StackPermissionLevel {
  return p === 101 || p === 102 || p === 103;
}
