/** Just enough URN parsing for display: `urn:pulumi:<stack>::<project>::<qualified type>::<name>`. */

export interface UrnParts {
  stack: string;
  project: string;
  qualifiedType: string;
  type: string;
  name: string;
}

export function parseUrn(urn: string): UrnParts | undefined {
  if (!urn.startsWith("urn:pulumi:")) return undefined;
  const parts = urn.slice("urn:pulumi:".length).split("::");
  if (parts.length < 4) return undefined;
  const [stack, project, qualifiedType] = parts as [string, string, string];
  // Names may themselves contain "::", so everything after the type belongs to the name.
  const name = parts.slice(3).join("::");
  const typeParts = qualifiedType.split("$");
  return { stack, project, qualifiedType, type: typeParts[typeParts.length - 1] ?? qualifiedType, name };
}

export const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

export function isRootStackUrn(urn: string | undefined): boolean {
  return !!urn && parseUrn(urn)?.qualifiedType === ROOT_STACK_TYPE;
}

export function defaultRootStackUrn(stack: string, project: string): string {
  return `urn:pulumi:${stack}::${project}::${ROOT_STACK_TYPE}::${project}-${stack}`;
}

/** `aws:s3/bucket:Bucket` reads as `aws:s3:Bucket` when the module's last segment just repeats the name. */
export function typeDisplayName(type: string): string {
  const parts = type.split(":");
  if (parts.length !== 3) return type;
  const [pkg, mod, name] = parts as [string, string, string];
  if (name === "") return type;
  const slash = mod.lastIndexOf("/");
  if (slash < 0) return type;
  const file = mod.slice(slash + 1);
  const camel = name.charAt(0).toLowerCase() + name.slice(1);
  return file === camel ? `${pkg}:${mod.slice(0, slash)}:${name}` : type;
}

/** Names are shown escaped so control characters cannot mangle the terminal. */
export function escapeForDisplay(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => {
    switch (c) {
      case "\n":
        return "\\n";
      case "\t":
        return "\\t";
      case "\r":
        return "\\r";
      default:
        return `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
    }
  });
}
