/** Pulumi.yaml / Pulumi.yml / Pulumi.json: finding, parsing, validating, and resolving `main`. */
import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { dirname, extname, isAbsolute, join, resolve, basename } from "node:path";
import { parse as parseYaml } from "yaml";

export const PROJECT_FILE_NAMES = ["Pulumi.yaml", "Pulumi.yml", "Pulumi.json"] as const;

export interface ProjectRuntime {
  name: string;
  options: Record<string, unknown>;
}

export interface ProjectConfigType {
  type?: string;
  description?: string;
  items?: unknown;
  default?: unknown;
  value?: unknown;
  secret?: boolean;
}

export interface Project {
  name: string;
  runtime: ProjectRuntime;
  main?: string;
  description?: string;
  stackConfigDir?: string;
  backendUrl?: string;
  /** `options.refresh: always`. */
  refreshAlways: boolean;
  /** Project-level config after Pulumi's shorthand rewrite (`key: v` → default or value). */
  config: Record<string, ProjectConfigType>;
  /** The whole decoded document, for keys this model does not name. */
  raw: Record<string, unknown>;
}

export interface LoadedProject {
  project: Project;
  /** Absolute path of the project file. */
  path: string;
  /** Directory holding the project file. */
  root: string;
}

export class ProjectNotFoundError extends Error {
  constructor(readonly searchedFrom: string) {
    super(
      `no Pulumi.yaml project file found (searching upwards from ${searchedFrom}). If you have not created a project yet, use \`pulumi new\` to do so`,
    );
  }
}

/** The project file in `dir` itself, honouring Pulumi's extension order. */
export function projectFileIn(dir: string): string | undefined {
  for (const name of PROJECT_FILE_NAMES) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

/** Walks up from `start` to the nearest project file. */
export function findProjectFile(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    const found = projectFileIn(dir);
    if (found) return found;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function isPrimitiveOrArray(v: unknown): boolean {
  return typeof v === "string" || typeof v === "number" || typeof v === "boolean" || Array.isArray(v);
}

function isNamespacedByProject(projectName: string, key: string): boolean {
  return !key.includes(":") || key.startsWith(`${projectName}:`);
}

/** Validates and normalises a decoded project document (pure). */
export function parseProject(raw: unknown, sourcePath = "Pulumi.yaml"): Project {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new Error(`could not read ${sourcePath}: expected project to be an object`);
  }
  const doc = raw as Record<string, unknown>;
  if (!("name" in doc)) throw new Error("project is missing a 'name' attribute");
  const name = doc["name"];
  if (typeof name !== "string" || name === "") throw new Error("project is missing a non-empty string 'name' attribute");

  const rt = doc["runtime"];
  let runtime: ProjectRuntime;
  if (typeof rt === "string" && rt !== "") runtime = { name: rt, options: {} };
  else if (typeof rt === "object" && rt !== null && typeof (rt as Record<string, unknown>)["name"] === "string") {
    const r = rt as Record<string, unknown>;
    const options = r["options"];
    runtime = { name: r["name"] as string, options: typeof options === "object" && options !== null ? (options as Record<string, unknown>) : {} };
  } else throw new Error("project is missing a 'runtime' attribute");

  const config: Record<string, ProjectConfigType> = {};
  const rawConfig = doc["config"];
  if (rawConfig !== undefined && rawConfig !== null) {
    if (typeof rawConfig !== "object" || Array.isArray(rawConfig)) throw new Error("project 'config' must be an object");
    for (const [key, value] of Object.entries(rawConfig as Record<string, unknown>)) {
      if (isPrimitiveOrArray(value)) {
        config[key] = isNamespacedByProject(name, key) ? { default: value } : { value };
      } else if (typeof value === "object" && value !== null) {
        config[key] = value as ProjectConfigType;
      } else {
        config[key] = {};
      }
    }
  }
  for (const [key, t] of Object.entries(config)) {
    if (t.default !== undefined && t.value !== undefined) {
      throw new Error(`project config '${key}' cannot have both a 'default' and 'value' attribute`);
    }
    if (isNamespacedByProject(name, key)) {
      if (t.type === "array" && t.items === undefined) {
        throw new Error(`The configuration key '${key}' declares an array but does not specify the underlying type via the 'items' attribute`);
      }
      if (t.type !== undefined && t.default !== undefined && !valueMatchesType(t.type, t.items, t.default)) {
        throw new Error(`The default value specified for configuration key '${key}' is not of the expected type '${fullTypeName(t.type, t.items)}'`);
      }
    } else {
      if (t.type !== undefined) throw new Error(`Configuration key '${key}' is not namespaced by the project and should not define a type`);
      if (t.default !== undefined) {
        throw new Error(
          `Configuration key '${key}' is not namespaced by the project and should not define a default value. Did you mean to use the 'value' attribute instead of 'default'?`,
        );
      }
      if (t.value === undefined) throw new Error(`Configuration key '${key}' is namespaced and must provide an attribute 'value'`);
    }
  }

  const backend = doc["backend"];
  const backendUrl =
    typeof backend === "object" && backend !== null && typeof (backend as Record<string, unknown>)["url"] === "string"
      ? ((backend as Record<string, unknown>)["url"] as string)
      : undefined;
  const options = doc["options"];
  const refreshAlways = typeof options === "object" && options !== null && (options as Record<string, unknown>)["refresh"] === "always";
  const str = (k: string): string | undefined => (typeof doc[k] === "string" ? (doc[k] as string) : undefined);

  return {
    name,
    runtime,
    ...(str("main") !== undefined ? { main: str("main") } : {}),
    ...(str("description") !== undefined ? { description: str("description") } : {}),
    ...(str("stackConfigDir") !== undefined ? { stackConfigDir: str("stackConfigDir") } : {}),
    ...(backendUrl !== undefined ? { backendUrl } : {}),
    refreshAlways,
    config,
    raw: doc,
  };
}

/** Project config types are checked like Pulumi's ValidateConfigValue. */
export function valueMatchesType(type: string, items: unknown, value: unknown): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "integer":
      return typeof value === "number" ? Number.isInteger(value) : typeof value === "string" && /^[+-]?\d+$/.test(value);
    case "boolean":
      return typeof value === "boolean" || value === "true" || value === "false";
    case "array": {
      if (!Array.isArray(value)) return false;
      const itemType = typeof items === "object" && items !== null ? (items as Record<string, unknown>)["type"] : undefined;
      const itemItems = typeof items === "object" && items !== null ? (items as Record<string, unknown>)["items"] : undefined;
      return typeof itemType !== "string" || value.every((v) => valueMatchesType(itemType, itemItems, v));
    }
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    default:
      return true;
  }
}

export function fullTypeName(type: string, items: unknown): string {
  if (type !== "array") return type;
  const it = typeof items === "object" && items !== null ? (items as Record<string, unknown>) : {};
  return `List<${fullTypeName(String(it["type"] ?? "unknown"), it["items"])}>`;
}

export async function readProjectFile(path: string): Promise<Project> {
  const text = await readFile(path, "utf8");
  let raw: unknown;
  try {
    raw = extname(path) === ".json" ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new Error(`could not parse ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseProject(raw, path);
}

/** Loads the nearest project from `cwd`; throws ProjectNotFoundError when there is none. */
export async function loadProject(cwd: string): Promise<LoadedProject> {
  const path = findProjectFile(cwd);
  if (!path) throw new ProjectNotFoundError(resolve(cwd));
  return { project: await readProjectFile(path), path, root: dirname(path) };
}

/** Like loadProject, but undefined when there is no project (commands that work without one). */
export async function tryLoadProject(cwd: string): Promise<LoadedProject | undefined> {
  const path = findProjectFile(cwd);
  if (!path) return undefined;
  return { project: await readProjectFile(path), path, root: dirname(path) };
}

export interface ProgramLocation {
  rootDirectory: string;
  programDirectory: string;
  /** "." for a directory, else a file name inside programDirectory. */
  entryPoint: string;
}

/** §1.2: where the program runs and what it starts from; `main` must exist. */
export async function resolveProgram(root: string, main: string | undefined): Promise<ProgramLocation> {
  if (!main) return { rootDirectory: root, programDirectory: root, entryPoint: "." };
  const target = isAbsolute(main) ? main : resolve(root, main);
  let info;
  try {
    info = await stat(target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const detail = code === "ENOENT" ? `stat ${target}: no such file or directory` : err instanceof Error ? err.message : String(err);
    throw new Error(`project 'main' could not be read: ${detail}`);
  }
  if (info.isDirectory()) return { rootDirectory: root, programDirectory: target, entryPoint: "." };
  return { rootDirectory: root, programDirectory: dirname(target), entryPoint: basename(target) };
}

/** `Pulumi.<stack>.<ext>` next to the project file (or in stackConfigDir); only the name's last `/` segment counts. */
export function stackSettingsPath(loaded: LoadedProject, stackName: string): string {
  const short = stackName.slice(stackName.lastIndexOf("/") + 1);
  const file = `Pulumi.${short}${extname(loaded.path)}`;
  const dir = loaded.project.stackConfigDir ? resolve(loaded.root, loaded.project.stackConfigDir) : loaded.root;
  return join(dir, file);
}
