/**
 * `pulumi import` inputs: the import file (`{nameTable, resources}`) or the single resource named
 * on the command line, resolved into engine ImportSpecs; and the TypeScript code Pulumi prints for
 * the adopted resources.
 */
import type { ImportSpec } from "@stackyard/engine/api";
import type { ResourceV3 } from "@stackyard/protocol";

export interface ImportFileResource {
  type: string;
  name: string;
  id?: string;
  parent?: string;
  provider?: string;
  version?: string;
  pluginDownloadUrl?: string;
  logicalName?: string;
  properties?: string[];
  component?: boolean;
  remote?: boolean;
}

export interface ImportFile {
  nameTable?: Record<string, string>;
  resources: ImportFileResource[];
}

export function parseImportFile(text: string): ImportFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`could not parse import file: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof raw !== "object" || raw === null || !Array.isArray((raw as { resources?: unknown }).resources)) {
    throw new Error("could not parse import file: expected an object with a 'resources' array");
  }
  const file = raw as ImportFile;
  const problems: string[] = [];
  file.resources.forEach((r, i) => {
    if (!r.type) problems.push(`resource ${i} has no type`);
    if (!r.name) problems.push(`resource ${i} has no name`);
    if (!r.component && !r.id) problems.push(`resource '${r.name ?? i}' has no ID`);
    if (r.component && r.id) problems.push(`resource '${r.name}' is a component and must not have an ID`);
  });
  if (problems.length) throw new Error(`import file is invalid:\n  ${problems.join("\n  ")}`);
  return file;
}

function packageOf(type: string): string {
  return type.split(":")[0] ?? "";
}

function typeName(type: string): string {
  return type.split(":")[2] ?? type;
}

/** URNs of resources the file creates, by name, as the engine will make them. */
function urnFor(stack: string, project: string, type: string, name: string, parentUrn: string | undefined): string {
  let qualified = type;
  if (parentUrn) {
    const parentType = parentUrn.split("::")[2] ?? "";
    if (!parentType.endsWith("pulumi:pulumi:Stack")) qualified = `${parentType}$${type}`;
  }
  return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

/**
 * Resolves parent/provider names (the name table, or earlier resources of the file) to URNs and
 * provider references (`urn::id`, the id taken from state).
 */
export function resolveImports(
  file: ImportFile,
  context: { stack: string; project: string; protect: boolean; state: ResourceV3[] },
): { specs: ImportSpec[]; urns: string[] } {
  const names = new Map<string, string>(Object.entries(file.nameTable ?? {}));
  const ids = new Map<string, string>();
  for (const r of context.state) if (r.id) ids.set(r.urn, r.id);
  const resolveName = (ref: string, what: string, owner: string): string => {
    if (ref.startsWith("urn:pulumi:")) return ref;
    const urn = names.get(ref);
    if (!urn) throw new Error(`the ${what} '${ref}' for resource '${owner}' has no name in the nameTable and is not an earlier resource of the file`);
    return urn;
  };
  const specs: ImportSpec[] = [];
  const urns: string[] = [];
  for (const r of file.resources) {
    const parent = r.parent ? resolveName(r.parent, "parent", r.name) : undefined;
    const spec: ImportSpec = { type: r.type, name: r.logicalName ?? r.name, protect: context.protect };
    if (r.id) spec.id = r.id;
    if (parent) spec.parent = parent;
    if (r.provider) {
      const providerUrn = resolveName(r.provider, "provider", r.name);
      const id = ids.get(providerUrn);
      if (!id) throw new Error(`provider '${r.provider}' for resource '${r.name}' is not in the stack's state`);
      spec.provider = `${providerUrn}::${id}`;
    }
    if (r.version) spec.version = r.version;
    if (r.pluginDownloadUrl) spec.pluginDownloadURL = r.pluginDownloadUrl;
    if (r.properties?.length) spec.properties = r.properties;
    if (r.component) spec.component = true;
    specs.push(spec);
    const urn = urnFor(context.stack, context.project, r.type, spec.name, parent);
    urns.push(urn);
    names.set(r.name, urn);
  }
  return { specs, urns };
}

function identifier(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_$]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ""));
  return /^[A-Za-z_$]/.test(cleaned) ? cleaned : `_${cleaned}`;
}

function literal(value: unknown, indent: string): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return `[\n${value.map((v) => `${indent}    ${literal(v, `${indent}    `)},`).join("\n")}\n${indent}]`;
  }
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).filter(([k]) => !k.startsWith("__"));
    if (entries.length === 0) return "{}";
    const key = (k: string) => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k) ? k : JSON.stringify(k));
    return `{\n${entries.map(([k, v]) => `${indent}    ${key(k)}: ${literal(v, `${indent}    `)},`).join("\n")}\n${indent}}`;
  }
  return JSON.stringify(value);
}

/** TypeScript for the adopted resources, in the shape `pulumi import` prints. */
export function generateTypeScript(resources: { state: ResourceV3; protect: boolean }[]): string {
  const packages = [...new Set(resources.map((r) => packageOf(r.state.type)))].sort();
  const lines = ['import * as pulumi from "@pulumi/pulumi";', ...packages.map((p) => `import * as ${identifier(p)} from "@pulumi/${p}";`), ""];
  for (const { state, protect } of resources) {
    const [pkg, mod] = state.type.split(":");
    const modulePath = (mod ?? "index").split("/")[0]!;
    const ctor = [identifier(pkg!), ...(modulePath && modulePath !== "index" ? [modulePath] : []), typeName(state.type)].join(".");
    const name = state.urn.split("::").pop() ?? "resource";
    const opts = protect ? ", {\n    protect: true,\n}" : "";
    lines.push(`const ${identifier(name)} = new ${ctor}(${JSON.stringify(name)}, ${literal(state.inputs ?? {}, "")}${opts});`);
  }
  return `${lines.join("\n")}\n`;
}
