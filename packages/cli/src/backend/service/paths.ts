/** Stack names on a service backend: parsing `[org/[project/]]stack` and the API paths built from them. */
import type { StackRef } from "../backend.js";

export type { StackRef };

const ORG = /^[a-zA-Z0-9][a-zA-Z0-9-_]{1,38}[a-zA-Z0-9]$/;
const NAME = /^[A-Za-z0-9_.-]{1,100}$/;

export function validateOrgName(org: string): void {
  if (!ORG.test(org)) {
    throw new Error(`invalid organization name '${org}': names must be 3-40 characters of letters, digits, '-' and '_', starting and ending with a letter or digit`);
  }
}

export function validateStackName(name: string): void {
  if (!NAME.test(name)) {
    throw new Error("a stack name may only contain alphanumeric, hyphens, underscores, or periods");
  }
}

export function validateProjectName(name: string): void {
  if (!NAME.test(name)) {
    throw new Error("project names may only contain alphanumerics, hyphens, underscores, and periods");
  }
}

/** `stack`, `org/stack` (current project) or `org/project/stack`, as the Pulumi CLI reads them. */
export function parseServiceStackRef(text: string, currentProject: string | undefined, defaultOrg: string): StackRef {
  const parts = text.split("/");
  let ref: StackRef;
  if (parts.length === 1) {
    ref = { organization: defaultOrg, project: currentProject ?? "", name: parts[0]! };
  } else if (parts.length === 2) {
    ref = { organization: parts[0]!, project: currentProject ?? "", name: parts[1]! };
  } else if (parts.length === 3) {
    ref = { organization: parts[0]!, project: parts[1]!, name: parts[2]! };
  } else {
    throw new Error(`could not parse stack reference '${text}'`);
  }
  if (ref.project === "") {
    throw new Error(`no current project found, pass the fully qualified stack name (org/project/stack)`);
  }
  validateOrgName(ref.organization);
  validateProjectName(ref.project);
  validateStackName(ref.name);
  return ref;
}

/** `/api/stacks/{org}/{project}/{stack}`: names are validated, so plain formatting is safe (as in the CLI). */
export function stackPath(ref: StackRef): string {
  return `/api/stacks/${ref.organization}/${ref.project}/${ref.name}`;
}
