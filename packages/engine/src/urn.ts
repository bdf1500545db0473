/** Pulumi URNs: `urn:pulumi:<stack>::<project>::<qualified type>::<name>`. */

export function makeUrn(stack: string, project: string, parentType: string | undefined, type: string, name: string): string {
  const qualified = parentType ? `${parentType}$${type}` : type;
  return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

/** The qualified type recorded in a URN (the part children prefix theirs with). */
export function urnQualifiedType(urn: string): string {
  const parts = urn.split("::");
  return parts[2] ?? "";
}

export function urnType(urn: string): string {
  const qualified = urnQualifiedType(urn);
  const i = qualified.lastIndexOf("$");
  return i < 0 ? qualified : qualified.slice(i + 1);
}

export function urnName(urn: string): string {
  const parts = urn.split("::");
  return parts.slice(3).join("::");
}

export function urnStack(urn: string): string {
  return urn.split("::")[0]!.slice("urn:pulumi:".length);
}

export function urnProject(urn: string): string {
  return urn.split("::")[1] ?? "";
}

export const STACK_TYPE = "pulumi:pulumi:Stack";

/** The parent's qualified type, or none when the parent is the root stack (children of the stack are not prefixed). */
export function parentTypeForChildren(parentUrn: string | undefined): string | undefined {
  if (!parentUrn) return undefined;
  const qualified = urnQualifiedType(parentUrn);
  return qualified === STACK_TYPE ? undefined : qualified;
}

/** The package of a type token `pkg:module:Type` (provider types `pulumi:providers:pkg` name theirs last). */
export function typePackage(type: string): string {
  if (type.startsWith("pulumi:providers:")) return type.slice("pulumi:providers:".length);
  const i = type.indexOf(":");
  return i < 0 ? type : type.slice(0, i);
}

export function isProviderType(type: string): boolean {
  return type.startsWith("pulumi:providers:");
}

/** A provider reference is `<urn>::<id>`; the id follows the last `::`. */
export function parseProviderReference(ref: string): { urn: string; id: string } {
  const i = ref.lastIndexOf("::");
  if (i < 0) throw new Error(`expected '::' in provider reference '${ref}'`);
  return { urn: ref.slice(0, i), id: ref.slice(i + 2) };
}

export function formatProviderReference(urn: string, id: string): string {
  return `${urn}::${id}`;
}
