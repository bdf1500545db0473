/**
 * Finding a provider plugin's executable (engine-protocol §3.2): project plugins, $PATH, the Node
 * dynamic provider inside the program's own SDK, then the plugin cache under $PULUMI_HOME.
 */
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import semver from "semver";
import type { PluginCommand } from "./plugin-process.js";
import { resolveFromProgram } from "../program/program-host.js";

export interface PluginSearch {
  programDirectory: string;
  pulumiHome: string;
  /** Pulumi.yaml `plugins.providers`. */
  projectPlugins?: { name: string; version?: string; path: string }[];
  env?: NodeJS.ProcessEnv;
}

export class MissingPluginError extends Error {}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Installed plugin directories for a package: `resource-<name>-v<version>` (`.partial` ones are incomplete). */
export function cachedPluginVersions(pulumiHome: string, kind: string, name: string): { version: string; dir: string }[] {
  const root = join(pulumiHome, "plugins");
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return [];
  }
  const prefix = `${kind}-${name}-v`;
  const out: { version: string; dir: string }[] = [];
  for (const entry of entries) {
    if (!entry.startsWith(prefix) || entry.endsWith(".partial") || entry.endsWith(".lock")) continue;
    if (existsSync(join(root, `${entry}.partial`))) continue;
    const version = entry.slice(prefix.length);
    if (semver.valid(version)) out.push({ version, dir: join(root, entry) });
  }
  return out.sort((a, b) => semver.rcompare(a.version, b.version));
}

/** A plugin directory with an executable, or a PulumiPlugin.yaml describing a Node.js plugin. */
function commandInDirectory(dir: string, binary: string, search: PluginSearch, args: string[], env: NodeJS.ProcessEnv): PluginCommand | undefined {
  const exe = join(dir, binary);
  if (isExecutable(exe)) return { command: exe, args, cwd: search.programDirectory, env, displayName: exe };
  const manifest = join(dir, "PulumiPlugin.yaml");
  if (existsSync(manifest) && /runtime:\s*["']?nodejs/.test(readFileSync(manifest, "utf8"))) {
    const runPlugin = resolveFromProgram(dir, "@pulumi/pulumi/cmd/run-plugin");
    return { command: process.execPath, args: [runPlugin, dir, ...args], cwd: dir, env, displayName: dir };
  }
  return undefined;
}

export function findProviderPlugin(pkg: string, version: string | undefined, engineAddress: string, search: PluginSearch, env: NodeJS.ProcessEnv): PluginCommand {
  const binary = `pulumi-resource-${pkg}`;
  const args = [engineAddress];

  for (const plugin of search.projectPlugins ?? []) {
    if (plugin.name !== pkg) continue;
    if (version && plugin.version && plugin.version !== version) continue;
    const found = commandInDirectory(plugin.path, binary, search, args, env);
    if (found) return found;
  }

  if (pkg === "pulumi-nodejs") {
    // The program's own SDK copy, so the provider closures it serialised load against the same modules.
    const entry = resolveFromProgram(search.programDirectory, "@pulumi/pulumi/cmd/dynamic-provider");
    return { command: process.execPath, args: [entry, ...args], cwd: search.programDirectory, env, displayName: binary };
  }

  const processEnv = search.env ?? process.env;
  if (!processEnv["PULUMI_IGNORE_AMBIENT_PLUGINS"]) {
    for (const dir of (processEnv["PATH"] ?? "").split(delimiter)) {
      if (!dir) continue;
      const exe = join(dir, binary);
      if (isExecutable(exe)) return { command: exe, args, cwd: search.programDirectory, env, displayName: exe };
    }
  }

  const cached = cachedPluginVersions(search.pulumiHome, "resource", pkg);
  const wanted = version ? semver.clean(version) : undefined;
  const match = wanted ? cached.find((c) => semver.eq(c.version, wanted)) : cached[0];
  if (match) {
    const found = commandInDirectory(match.dir, binary, search, args, env);
    if (found) return found;
  }
  const unversioned = join(search.pulumiHome, "plugins", `resource-${pkg}`);
  if (existsSync(unversioned)) {
    const found = commandInDirectory(unversioned, binary, search, args, env);
    if (found) return found;
  }

  const at = version ? ` at version v${semver.clean(version) ?? version}` : "";
  const install = `pulumi plugin install resource ${pkg}${version ? ` v${semver.clean(version) ?? version}` : ""}`;
  throw new MissingPluginError(
    `no resource plugin '${binary}' found in the workspace${at} or on your $PATH, install the plugin using \`${install}\``,
  );
}
