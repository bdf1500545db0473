/** `pulumi plugin install|ls|rm`: the plugin cache under $PULUMI_HOME/plugins. */
import type { Command } from "commander";
import semver from "semver";
import { requiredPlugins } from "@stackyard/engine/providers/required-plugins";
import { CliError } from "../cli/errors.js";
import {
  cleanVersion,
  installPlugin,
  isInstalled,
  isPluginKind,
  listInstalledPlugins,
  pluginDownloadUrl,
  removePlugin,
  type PluginKind,
} from "../plugins/plugin-cache.js";
import { acceptGlobalFlags, messageOf, requireYes } from "../workspace/cli-helpers.js";
import { pulumiHome } from "../workspace/home.js";
import { printJson, renderTable } from "../workspace/output.js";

interface InstallFlags {
  server?: string;
  file?: string;
  reinstall?: boolean;
  exact?: boolean;
  checksum?: string;
}

export function register(program: Command): void {
  const plugin = program.command("plugin").description("Manage language and resource plugins");

  const install = acceptGlobalFlags(
    plugin
      .command("install [kind] [name] [version]")
      .description("Install one or more plugins")
      .option("--server <url>", "A URL to download plugins from")
      .option("-f, --file <path>", "Install a plugin from a binary, folder or tarball, instead of downloading it")
      .option("--reinstall", "Reinstall a plugin even if it already exists")
      .option("--exact", "Force installation of an exact version match (usually >= is accepted)")
      .option("--checksum <sha256>", "The expected SHA256 checksum for the plugin archive"),
  );
  install.action(async (kind: string | undefined, name: string | undefined, version: string | undefined, flags: InstallFlags) => {
    if (kind === undefined) return installProjectPlugins(flags);
    if (!isPluginKind(kind)) throw new CliError(`unrecognized plugin kind: ${kind}`);
    if (!name) throw new CliError("missing plugin name argument");
    await installOne(kind, name, version, flags);
  });

  acceptGlobalFlags(
    plugin
      .command("ls")
      .alias("list")
      .description("List plugins")
      .option("-p, --project", "List only the plugins used by the current project")
      .option("-j, --json", "Emit output as JSON"),
  ).action(async (flags: { json?: boolean }) => {
    const plugins = await listInstalledPlugins(pulumiHome());
    if (flags.json) {
      printJson(
        plugins.map((p) => ({
          name: p.name,
          kind: p.kind,
          version: p.version,
          size: p.size,
          installTime: p.installTime.toISOString(),
          lastUsedTime: p.lastUsedTime.toISOString(),
        })),
      );
      return;
    }
    if (plugins.length === 0) {
      process.stdout.write("no plugins installed\n");
      return;
    }
    const total = plugins.reduce((n, p) => n + p.size, 0);
    process.stdout.write(
      renderTable(
        ["NAME", "KIND", "VERSION", "SIZE", "INSTALLED", "LAST USED"],
        plugins.map((p) => [p.name, p.kind, p.version, humanBytes(p.size), p.installTime.toISOString(), p.lastUsedTime.toISOString()]),
      ),
    );
    process.stdout.write(`\nTOTAL plugin cache size: ${humanBytes(total)}\n`);
  });

  acceptGlobalFlags(
    plugin
      .command("rm [kind] [name] [version]")
      .alias("remove")
      .description("Remove one or more plugins from the download cache")
      .option("-a, --all", "Remove all plugins")
      .option("-y, --yes", "Skip confirmation prompts, and proceed with removal anyway"),
  ).action(async (kind: string | undefined, name: string | undefined, range: string | undefined, flags: { all?: boolean; yes?: boolean }) => {
    if (!flags.all && kind === undefined) throw new CliError("please pass --all if you'd like to remove all plugins");
    if (kind !== undefined && !isPluginKind(kind)) throw new CliError(`unrecognized plugin kind: ${kind}`);
    if (range !== undefined && !semver.validRange(range)) throw new CliError(`invalid plugin semver: ${range}`);
    const matches = (await listInstalledPlugins(pulumiHome())).filter(
      (p) => (kind === undefined || p.kind === kind) && (name === undefined || p.name === name) && (range === undefined || semver.satisfies(p.version, range)),
    );
    if (matches.length === 0) {
      process.stdout.write("no plugins found to delete\n");
      return;
    }
    requireYes(flags.yes);
    const failures: string[] = [];
    for (const p of matches) {
      try {
        await removePlugin(p);
      } catch (err) {
        failures.push(`failed to delete ${p.kind} plugin ${p.name} v${p.version}: ${messageOf(err)}`);
      }
    }
    if (failures.length) throw new CliError(failures.join("\n"));
  });
}

async function installOne(kind: PluginKind, name: string, versionText: string | undefined, flags: InstallFlags): Promise<void> {
  const home = pulumiHome();
  if (!versionText && !flags.file) throw new CliError(`could not determine the latest version of ${kind} plugin ${name}: pass a version`);
  const version = versionText ? cleanVersion(versionText) : "0.0.0";
  if (!version) throw new CliError(`invalid plugin semver: ${versionText}`);
  if (!flags.reinstall && !flags.file && isInstalled(home, kind, name, version)) return;
  const label = `${kind} plugin ${name}-v${version}`;
  process.stderr.write(`[${kind} plugin ${name}-${version}] installing\n`);
  try {
    await installPlugin(
      home,
      kind,
      name,
      version,
      flags.file ? { kind: "file", path: flags.file } : { kind: "url", url: pluginDownloadUrl(kind, name, version, flags.server) },
    );
  } catch (err) {
    throw new CliError(`installing ${label}: ${messageOf(err)}`);
  }
}

/** No arguments: the resource plugins the program's npm dependencies declare (`"pulumi": {"resource": true}`). */
async function installProjectPlugins(flags: InstallFlags): Promise<void> {
  for (const required of await requiredPlugins(process.cwd())) {
    await installOne("resource", required.name, required.version, { ...flags, ...(required.server ? { server: required.server } : {}) });
  }
}

function humanBytes(n: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}
