/** Stack reference parsing and name validation with the Pulumi CLI's rules and messages. */
import type { StackRef } from "../backend.js";

export const DIY_ORGANIZATION = "organization";

const STACK_NAME_CHARS = /^[a-zA-Z0-9\-_.]+/;
const NAME_RE = /^[A-Za-z0-9_.-]+$/;

export function validateStackName(name: string): void {
  if (name === "") throw new Error("a stack name may not be empty");
  if (name.length > 100) throw new Error("a stack name cannot exceed 100 characters");
  const match = STACK_NAME_CHARS.exec(name);
  const failure = match === null ? 0 : match[0].length === name.length ? -1 : match[0].length;
  if (failure >= 0) {
    throw new Error(
      "a stack name may only contain alphanumeric, hyphens, underscores, or periods: " +
        `invalid character '${name[failure]}' at position ${failure}`,
    );
  }
}

export function validateProjectName(name: string): void {
  if (name === "") throw new Error("project names may not be empty");
  if (name.length > 100) throw new Error("project names are limited to 100 characters");
  if (!NAME_RE.test(name)) throw new Error("project names may only contain alphanumerics, hyphens, underscores, and periods");
}

export function isValidName(name: string): boolean {
  return NAME_RE.test(name);
}

/**
 * `<stack>`, `organization/<stack>` or `organization/<project>/<stack>`. More than three parts leave
 * the name empty, which is how Pulumi ends up reporting them.
 */
export function parseDiyStackRef(text: string, currentProject: string | undefined): StackRef {
  const parts = text.split("/");
  let org = "";
  let project = "";
  let name = "";
  if (parts.length === 1) name = parts[0]!;
  else if (parts.length === 2) [org, name] = parts as [string, string];
  else if (parts.length === 3) [org, project, name] = parts as [string, string, string];
  if (org === "") org = DIY_ORGANIZATION;
  if (org !== DIY_ORGANIZATION) throw new Error("organization name must be 'organization'");
  if (project === "") {
    if (currentProject === undefined || currentProject === "") {
      throw new Error("if you're using the --stack flag, pass the fully qualified name (organization/project/stack)");
    }
    project = currentProject;
  }
  validateProjectName(project);
  validateStackName(name);
  return { organization: DIY_ORGANIZATION, project, name };
}
