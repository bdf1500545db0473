/** Naming rules the CLI enforces client-side; the service enforces the same. */
const ORG = /^[a-zA-Z0-9][a-zA-Z0-9_-]{1,38}[a-zA-Z0-9]$/;
const PROJECT_OR_STACK = /^[A-Za-z0-9_.-]{1,100}$/;
const TAG_NAME = /^[a-zA-Z0-9_.:-]{1,40}$/;

export const isValidOrgName = (s: string): boolean => ORG.test(s);
export const isValidProjectName = (s: string): boolean => PROJECT_OR_STACK.test(s);
export const isValidStackName = (s: string): boolean => PROJECT_OR_STACK.test(s);

/** First problem with a tag map, or undefined when every name and value is acceptable. */
export function tagProblem(tags: Record<string, unknown>): string | undefined {
  for (const [name, value] of Object.entries(tags)) {
    if (!TAG_NAME.test(name)) return `invalid stack tag name '${name}': names are 1-40 characters of letters, digits, '-', '_', '.' and ':'`;
    if (typeof value !== "string") return `stack tag '${name}' must have a string value`;
    if (value.length > 256) return `stack tag '${name}' has a value longer than 256 characters`;
  }
  return undefined;
}
