/**
 * Rewrites a deployment for a renamed stack: the stack (and optionally project) part of every URN,
 * wherever a URN can appear, and the root Stack resource's own name `<project>-<stack>`.
 */
import type { DeploymentV3, ResourceV3 } from "@stackyard/protocol";

const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

interface ParsedUrn {
  stack: string;
  project: string;
  qualifiedType: string;
  name: string;
}

/** `urn:pulumi:<stack>::<project>::<qualified type>::<name>`; the name may itself contain `::`. */
export function parseUrn(urn: string): ParsedUrn | undefined {
  const prefix = "urn:pulumi:";
  if (!urn.startsWith(prefix)) return undefined;
  const parts = urn.slice(prefix.length).split("::");
  if (parts.length < 4) return undefined;
  return { stack: parts[0]!, project: parts[1]!, qualifiedType: parts[2]!, name: parts.slice(3).join("::") };
}

export function renameUrn(urn: string, newStack: string, newProject: string | undefined): string {
  const u = parseUrn(urn);
  if (!u) return urn;
  const project = newProject ?? u.project;
  // The root stack's type is never nested under a parent type, so compare the whole token.
  const name = u.qualifiedType === ROOT_STACK_TYPE ? `${project}-${newStack}` : u.name;
  return `urn:pulumi:${newStack}::${project}::${u.qualifiedType}::${name}`;
}

function renameResource(r: ResourceV3, rw: (urn: string) => string): ResourceV3 {
  const out: ResourceV3 = { ...r, urn: rw(r.urn) };
  if (r.parent) out.parent = rw(r.parent);
  if (r.dependencies) out.dependencies = r.dependencies.map(rw);
  if (r.propertyDependencies) {
    const pd: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(r.propertyDependencies)) pd[k] = v.map(rw);
    out.propertyDependencies = pd;
  }
  if (r.provider) {
    // A provider reference is `<urn>::<id>`; the id is whatever follows the last `::`.
    const cut = r.provider.lastIndexOf("::");
    if (cut > 0) out.provider = `${rw(r.provider.slice(0, cut))}${r.provider.slice(cut)}`;
  }
  if (r.deletedWith) out.deletedWith = rw(r.deletedWith);
  if (r.replaceWith) out.replaceWith = r.replaceWith.map(rw);
  return out;
}

export function renameDeployment(d: DeploymentV3, newStack: string, newProject: string | undefined): DeploymentV3 {
  const rw = (urn: string) => renameUrn(urn, newStack, newProject);
  const out: DeploymentV3 = { ...d };
  if (d.resources) out.resources = d.resources.map((r) => renameResource(r, rw));
  if (d.pending_operations) {
    out.pending_operations = d.pending_operations.map((op) => ({ ...op, resource: renameResource(op.resource, rw) }));
  }
  return out;
}
