/**
 * The resource plugins a Node.js program declares through its npm dependencies, as Pulumi's
 * Node.js language host reports them (GetRequiredPlugins): a dependency is a provider SDK when its
 * `pulumi-plugin.json` or its package.json `pulumi` field says `"resource": true`.
 */
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import semver from "semver";

export interface RequiredPlugin {
  name: string;
  version: string;
  /** Where the plugin is downloaded from, when not Pulumi's default server. */
  server?: string;
}

interface PluginDeclaration {
  resource?: boolean;
  name?: string;
  version?: string;
  server?: string;
}

interface PackageManifest {
  name?: string;
  version?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  pulumi?: PluginDeclaration;
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as T;
  } catch {
    return undefined;
  }
}

/** The directory of an installed dependency, searched the way Node does: `node_modules` upwards. */
async function findPackage(from: string, name: string): Promise<{ dir: string; manifest: PackageManifest } | undefined> {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    const manifest = await readJson<PackageManifest>(join(candidate, "package.json"));
    if (manifest) return { dir: candidate, manifest };
    if (dirname(dir) === dir) return undefined;
  }
}

/** The plugin a package declares, if it is a provider SDK; `pulumi-plugin.json` wins over package.json. */
export function declaredPlugin(packageName: string, manifest: PackageManifest, pluginFile: PluginDeclaration | undefined): RequiredPlugin | undefined {
  const declaration = pluginFile ?? manifest.pulumi;
  if (!declaration?.resource) return undefined;
  const name = declaration.name ?? packageName.replace(/^@pulumi\//, "");
  const version = declaration.version ?? manifest.version;
  if (!version) return undefined;
  return { name, version: version.replace(/^v/, ""), ...(declaration.server ? { server: declaration.server } : {}) };
}

/** The plugins declared by the direct dependencies of the program in `programDirectory`. */
export async function requiredPlugins(programDirectory: string): Promise<RequiredPlugin[]> {
  const manifest = await readJson<PackageManifest>(join(programDirectory, "package.json"));
  if (!manifest) return [];
  const names = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies });
  const found = await Promise.all(
    names.map(async (dep) => {
      const pkg = await findPackage(programDirectory, dep);
      if (!pkg) return undefined;
      return declaredPlugin(dep, pkg.manifest, await readJson<PluginDeclaration>(join(pkg.dir, "pulumi-plugin.json")));
    }),
  );
  return found.filter((p): p is RequiredPlugin => p !== undefined);
}

/**
 * The version a default provider gets when a resource names none: the newest the program's
 * required plugins declare for its package, as Pulumi's engine chooses it (so the provider is
 * `default_<version>` under either CLI, and the plugin started with the program is the one used).
 */
export function defaultProviderVersions(plugins: RequiredPlugin[]): Map<string, string> {
  const newest = new Map<string, string>();
  for (const { name, version } of plugins) {
    const known = newest.get(name);
    if (semver.valid(version) && (known === undefined || semver.gt(version, known))) newest.set(name, version);
  }
  return newest;
}
