/**
 * The plugin cache under `$PULUMI_HOME/plugins`, laid out as Pulumi lays it out:
 * `<kind>-<name>-v<version>/` holding the plugin, with `<dir>.partial` present while an install is
 * incomplete (readers skip it) and `<dir>.lock` held during the install.
 */
import { execFile } from "node:child_process";
import { createWriteStream, existsSync } from "node:fs";
import { chmod, copyFile, cp, mkdir, open, readdir, rm, stat, utimes, writeFile } from "node:fs/promises";
import { arch, platform } from "node:os";
import { basename, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import semver from "semver";
import { trustDeferredCaCerts } from "../launch/deferred-ca.cjs";

export const PLUGIN_KINDS = ["analyzer", "language", "resource", "converter", "tool"] as const;
export type PluginKind = (typeof PLUGIN_KINDS)[number];

export interface InstalledPlugin {
  name: string;
  kind: PluginKind;
  version: string;
  dir: string;
  size: number;
  installTime: Date;
  lastUsedTime: Date;
}

export function isPluginKind(kind: string): kind is PluginKind {
  return (PLUGIN_KINDS as readonly string[]).includes(kind);
}

export function pluginsRoot(home: string): string {
  return join(home, "plugins");
}

export function pluginDirName(kind: PluginKind, name: string, version: string): string {
  return `${kind}-${name}-v${version}`;
}

/** `v1.2.3` / `1.2.3` → `1.2.3`; undefined when not a version. */
export function cleanVersion(text: string): string | undefined {
  return semver.clean(text) ?? undefined;
}

function goOs(): string {
  const p = platform();
  return p === "win32" ? "windows" : p;
}

function goArch(): string {
  const a = arch();
  return a === "x64" ? "amd64" : a;
}

/** Where Pulumi downloads a plugin from: `--server` when given, else Pulumi's release bucket. */
export function pluginDownloadUrl(kind: PluginKind, name: string, version: string, server?: string): string {
  const file = `pulumi-${kind}-${name}-v${version}-${goOs()}-${goArch()}.tar.gz`;
  const base = (server ?? "https://get.pulumi.com/releases/plugins").replace(/\/+$/, "");
  return `${base}/${file}`;
}

async function dirSize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) total += await dirSize(p);
    else if (entry.isFile()) total += (await stat(p)).size;
  }
  return total;
}

export async function listInstalledPlugins(home: string): Promise<InstalledPlugin[]> {
  const root = pluginsRoot(home);
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch {
    return [];
  }
  const out: InstalledPlugin[] = [];
  for (const entry of entries) {
    const match = /^([a-z]+)-(.+)-v(\d+\.\d+\.\d+.*)$/.exec(entry);
    if (!match || entry.endsWith(".partial") || entry.endsWith(".lock")) continue;
    const [, kind, name, version] = match;
    if (!isPluginKind(kind!) || !semver.valid(version!)) continue;
    const dir = join(root, entry);
    if (existsSync(`${dir}.partial`)) continue;
    const info = await stat(dir).catch(() => undefined);
    if (!info?.isDirectory()) continue;
    out.push({ name: name!, kind: kind, version: version!, dir, size: await dirSize(dir), installTime: info.birthtime, lastUsedTime: info.atime });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name) || a.kind.localeCompare(b.kind) || semver.rcompare(a.version, b.version));
}

export function isInstalled(home: string, kind: PluginKind, name: string, version: string): boolean {
  const dir = join(pluginsRoot(home), pluginDirName(kind, name, version));
  return existsSync(dir) && !existsSync(`${dir}.partial`);
}

/** Where the plugin's bytes come from. */
export type PluginSource = { kind: "url"; url: string } | { kind: "file"; path: string };

const execFileAsync = promisify(execFile);

/**
 * Installs into a fresh directory marked `.partial` until complete, so a killed install is never
 * mistaken for a usable plugin; an exclusive `.lock` file keeps two installers apart.
 */
export async function installPlugin(home: string, kind: PluginKind, name: string, version: string, source: PluginSource): Promise<string> {
  const root = pluginsRoot(home);
  await mkdir(root, { recursive: true });
  const dir = join(root, pluginDirName(kind, name, version));
  const lockPath = `${dir}.lock`;
  const lock = await open(lockPath, "wx").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "EEXIST") throw new Error(`another process is installing ${kind} plugin ${name} v${version} (remove ${lockPath} if it is stale)`);
    throw err;
  });
  try {
    await writeFile(`${dir}.partial`, "");
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    if (source.kind === "url") await downloadAndExtract(source.url, dir);
    else await installFromFile(source.path, dir, `pulumi-${kind}-${name}`);
    await rm(`${dir}.partial`, { force: true });
    const now = new Date();
    await utimes(dir, now, now);
    return dir;
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    await rm(`${dir}.partial`, { force: true });
    throw err;
  } finally {
    await lock.close();
    await rm(lockPath, { force: true });
  }
}

async function downloadAndExtract(url: string, dir: string): Promise<void> {
  let response: Response;
  try {
    if (url.startsWith("https:")) trustDeferredCaCerts();
    response = await fetch(url);
  } catch (err) {
    throw new Error(`failed to download plugin from ${url}: ${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)}`);
  }
  if (!response.ok || !response.body) throw new Error(`failed to download plugin from ${url}: ${response.status} HTTP error fetching plugin`);
  const tarball = join(dir, "..", `${basename(dir)}.download.tar.gz`);
  try {
    await pipeline(Readable.fromWeb(response.body as import("node:stream/web").ReadableStream<Uint8Array>), createWriteStream(tarball));
    await extractTarball(tarball, dir);
  } finally {
    await rm(tarball, { force: true });
  }
}

async function extractTarball(tarball: string, dir: string): Promise<void> {
  try {
    await execFileAsync("tar", ["-xzf", tarball, "-C", dir]);
  } catch (err) {
    throw new Error(`failed to extract plugin tarball: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** `--file`: a tarball, a directory, or the plugin binary itself. */
async function installFromFile(path: string, dir: string, binaryName: string): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new Error(`plugin file ${path} does not exist`);
  if (info.isDirectory()) {
    await cp(path, dir, { recursive: true });
  } else if (/\.(tar\.gz|tgz)$/.test(path)) {
    await extractTarball(path, dir);
  } else {
    const target = join(dir, binaryName);
    await copyFile(path, target);
    await chmod(target, 0o755);
  }
}

export async function removePlugin(plugin: InstalledPlugin): Promise<void> {
  await rm(plugin.dir, { recursive: true, force: true });
}
