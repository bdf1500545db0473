/** `pulumi stack` and its subcommands. */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, rename as renameFile, rm, writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { PULUMI_VERSION } from "@stackyard/engine/version";
import type { SecretsManager } from "@stackyard/engine/api";
import type { DeploymentV3, ResourceV3, UntypedDeployment, UpdateInfo } from "@stackyard/protocol";
import type { StackRef, StackSummary } from "../backend/backend.js";
import { formatStackRef } from "../backend/backend.js";
import { CliError } from "../cli/errors.js";
import { configJsonEntry, decryptAll, type ConfigJsonEntry } from "../workspace/config-map.js";
import { mapCiphertexts, valueText, type ConfigValue } from "../workspace/config-value.js";
import { CommandContext, stackNotFoundMessage, type StackContext } from "../workspace/context.js";
import { formatJson, formatTime, goDuration, goTimeString, humanizeTime, printJson, renderTable, type TableRow } from "../workspace/output.js";
import {
  displayOutputs,
  encryptPlaintextSecrets,
  formatMultiError,
  hasPlaintextSecrets,
  importProblems,
  isUntypedDeployment,
  revealDeploymentSecrets,
  stackOutputsOf,
} from "../workspace/state-secrets.js";
import { acceptGlobalFlags, diyBackendName, messageOf, readAllStdin, requireYes, stackFromArgOrFlag, stackOption } from "../workspace/cli-helpers.js";

interface StackOpts {
  stack?: string;
}

function ctxOf(cmd: Command, requireProject = false): Promise<CommandContext> {
  return CommandContext.fromCommand(cmd, { requireProject });
}

function managedBy(stack: StackContext): string {
  return stack.backend.kind === "diy" ? diyBackendName() : stack.backend.url;
}

async function latestDeployment(stack: StackContext): Promise<UntypedDeployment | undefined> {
  try {
    return await stack.backend.exportDeployment(stack.ref);
  } catch (err) {
    if (/no (previous )?deployment|not found|does not exist/i.test(messageOf(err))) return undefined;
    throw err;
  }
}

// ---------------------------------------------------------------- stack (show current)

function resourceName(urn: string): string {
  const i = urn.lastIndexOf("::");
  return i < 0 ? urn : urn.slice(i + 2);
}

/** Pulumi's resource tree under the root stack resource; undefined when it cannot be built. */
export function resourceTreeRows(resources: ResourceV3[], showURNs: boolean, showIDs: boolean): TableRow[] | undefined {
  interface Node {
    res?: ResourceV3;
    children: Node[];
  }
  const nodes = new Map<string, Node>();
  let root: Node | undefined;
  const orphans: Node[] = [];
  for (const res of resources) {
    let node = nodes.get(res.urn);
    if (!node) {
      node = { res, children: [] };
      nodes.set(res.urn, node);
    } else node.res = res;
    if (res.parent) {
      let parent = nodes.get(res.parent);
      if (!parent) {
        parent = { children: [] };
        nodes.set(res.parent, parent);
      }
      parent.children.push(node);
    } else if (res.type === "pulumi:pulumi:Stack") root = node;
    else orphans.push(node);
  }
  if (!root || [...nodes.values()].some((n) => !n.res)) return undefined;
  root.children.push(...orphans);
  const rows: TableRow[] = [];
  const render = (node: Node, padding: string, branch: string): void => {
    const padBranch = branch === "├─ " ? "│  " : branch === "└─ " ? "   " : "";
    const childPadding = padding + padBranch;
    const infoPadding = childPadding + (node.children.length > 0 ? "│  " : "   ");
    rows.push(resourceRow(node.res!, padding + branch, infoPadding, showURNs, showIDs));
    node.children.forEach((c, i) => render(c, childPadding, i === node.children.length - 1 ? "└─ " : "├─ "));
  };
  render(root, "", "");
  return rows;
}

function resourceRow(res: ResourceV3, prefix: string, infoPrefix: string, showURN: boolean, showID: boolean): TableRow {
  let info = "";
  if (showURN) info += `    ${infoPrefix}URN: ${res.urn}\n`;
  if (showID && res.id) info += `    ${infoPrefix}ID: ${res.id}\n`;
  return { columns: [prefix + res.type, resourceName(res.urn)], info };
}

function stringifyOutput(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

function outputsTable(outputs: Record<string, unknown>): string {
  const keys = Object.keys(outputs).sort();
  let out = `Current stack outputs (${keys.length}):\n`;
  if (keys.length === 0) return `${out}    No output values currently in this stack\n`;
  out += renderTable(["OUTPUT", "VALUE"], keys.map((k) => [k, stringifyOutput(outputs[k])]), "    ");
  return out;
}

async function showStack(cmd: Command, opts: StackOpts & { showIds?: boolean; showUrns?: boolean; showSecrets?: boolean; showName?: boolean; json?: boolean }): Promise<void> {
  const ctx = await ctxOf(cmd);
  const stack = await ctx.requireStack(opts.stack, { offerNew: true });
  if (opts.showName) {
    process.stdout.write(`${ctx.options.fullyQualifyStackNames ? stack.displayName : stack.ref.name}\n`);
    return;
  }
  const exported = await latestDeployment(stack);
  const deployment = exported?.deployment;
  const resources = deployment?.resources ?? [];
  if (opts.json) {
    printJson(await stackJson(stack, deployment, opts.showSecrets ?? false));
    return;
  }
  let out = `Current stack is ${stack.displayName}:\n`;
  out += `    Managed by ${managedBy(stack)}\n`;
  const hasUpdate = deployment?.manifest !== undefined && resources.length > 0;
  if (deployment?.manifest && (hasUpdate || deployment.manifest.version)) {
    const t = Date.parse(deployment.manifest.time);
    if (!Number.isNaN(t) && t > 0 && t < Date.now()) out += `    Last updated: ${humanizeTime(t / 1000)} (${goTimeString(new Date(t))})\n`;
    if (deployment.manifest.version) out += `    Pulumi version used: ${deployment.manifest.version}\n`;
    for (const p of deployment.manifest.plugins ?? []) out += `    Plugin ${p.name} [${p.type}] version: ${p.version || "?"}\n`;
  } else {
    out += "    No updates yet; run `pulumi up`\n";
  }
  out += `Current stack resources (${resources.length}):\n`;
  if (resources.length === 0) out += "    No resources currently in this stack\n";
  else {
    const rows = resourceTreeRows(resources, opts.showUrns ?? false, opts.showIds ?? false) ?? resources.map((r) => resourceRow(r, "", "    ", opts.showUrns ?? false, opts.showIds ?? false));
    out += renderTable(["TYPE", "NAME"], rows, "    ");
    try {
      const sm = opts.showSecrets ? await stack.stateSecretsManager(deployment?.secrets_providers) : undefined;
      out += `\n${outputsTable(await displayOutputs(stackOutputsOf(deployment), sm, opts.showSecrets ?? false))}`;
    } catch {
      // Pulumi leaves the outputs section out when they cannot be read.
    }
  }
  out += "\nUse `pulumi stack select` to change stack; `pulumi stack ls` lists known ones\n";
  process.stdout.write(out);
}

/** `pulumi stack --json` (stackJSONEnvelope); DIY stacks have no organization, version or tags. */
async function stackJson(stack: StackContext, deployment: DeploymentV3 | undefined, showSecrets: boolean): Promise<Record<string, unknown>> {
  const env: Record<string, unknown> = {
    ...(stack.ref.project ? { project: stack.ref.project } : {}),
    stack: stack.ref.name,
    backend: managedBy(stack),
    tags: {},
  };
  let resources: Record<string, unknown>[] = [];
  let outputs: Record<string, unknown> = {};
  if (deployment) {
    const t = Date.parse(deployment.manifest?.time ?? "");
    const manifest: Record<string, unknown> = {};
    if (!Number.isNaN(t) && t > Date.parse("0001-01-02T00:00:00Z")) manifest["time"] = formatTime(t / 1000);
    if (deployment.manifest?.version) manifest["pulumiVersion"] = deployment.manifest.version;
    const plugins = (deployment.manifest?.plugins ?? []).map((p) => ({ name: p.name, kind: p.type, ...(p.version ? { version: p.version } : {}) }));
    if (plugins.length > 0) manifest["plugins"] = plugins;
    env["manifest"] = manifest;
    resources = (deployment.resources ?? []).map((r) => ({
      urn: r.urn,
      type: r.type,
      name: resourceName(r.urn),
      ...(r.id ? { id: r.id } : {}),
      ...(r.parent ? { parent: r.parent } : {}),
    }));
    try {
      const sm = showSecrets ? await stack.stateSecretsManager(deployment.secrets_providers) : undefined;
      outputs = await displayOutputs(stackOutputsOf(deployment), sm, showSecrets);
    } catch {
      outputs = {};
    }
  }
  env["resources"] = resources;
  env["outputs"] = outputs;
  return env;
}

// ---------------------------------------------------------------- init / select

async function copyConfigInto(source: StackContext, target: StackContext): Promise<void> {
  const from = await source.loadSettings();
  if (from.config.size === 0 && from.environment === undefined) return;
  const secure = [...from.config.values()].filter((v) => v.secure);
  const plaintexts = secure.length > 0 ? await decryptAll(secure, await source.secretsManager()) : new Map<string, string>();
  await target.updateSettings(async (settings) => {
    const mapping = new Map<string, string>();
    if (plaintexts.size > 0) {
      const { manager } = await target.secretsManagerFor(settings);
      const cts = await manager.encrypt([...plaintexts.values()]);
      [...plaintexts.keys()].forEach((old, i) => mapping.set(old, cts[i]!));
    }
    for (const [k, v] of from.config) settings.config.set(k, mapCiphertexts(v, (ct) => mapping.get(ct)!));
    if (from.environment !== undefined) settings.environment = from.environment;
  });
}

/** Creates a stack the way `stack init` does; shared by `stack select --create`. */
async function initStack(ctx: CommandContext, name: string, options: { secretsProvider?: string; select: boolean }): Promise<StackContext> {
  const { validateSecretsProvider } = await import("@stackyard/engine/secrets/index");
  try {
    validateSecretsProvider(options.secretsProvider);
  } catch (err) {
    throw new CliError(messageOf(err));
  }
  const backend = await ctx.backend();
  let ref: StackRef;
  try {
    ref = backend.parseStackRef(name, ctx.projectName);
  } catch (err) {
    throw new CliError(messageOf(err));
  }
  if (await backend.getStack(ref)) throw new CliError(`stack '${ctx.displayName(ref, backend.kind)}' already exists`);

  // The secrets manager comes first so a missing passphrase fails before anything is created.
  const provisional: StackSummary = { ref };
  const { StackContext } = await import("../workspace/context.js");
  const stack = new StackContext(ctx, backend, ref, provisional);
  let secretFields: { secretsprovider?: string; encryptionsalt?: string; encryptedkey?: string } | undefined;
  let manager: SecretsManager | undefined;
  if (ctx.project) {
    const settings = await stack.loadSettings();
    if (options.secretsProvider && options.secretsProvider !== "default") settings.secretsprovider = options.secretsProvider;
    try {
      const result = await stack.secretsManagerFor(settings);
      manager = result.manager;
      if (result.changed) secretFields = { ...pick(settings) };
    } catch (err) {
      throw new CliError(`could not create secrets manager for new stack: ${messageOf(err)}`);
    }
  }
  // Like Pulumi, the new stack's checkpoint records its secrets provider from the start, except the
  // service's own provider, which the service knows already.
  const initialState = manager && manager.type !== "service" ? initialDeployment(manager) : undefined;
  // A service keeps stack tags; Pulumi sends the project's on creation.
  const tags = backend.kind === "service" && ctx.project ? projectTags(ctx.project.project) : undefined;
  try {
    await backend.createStack(ref, { ...(initialState ? { initialState } : {}), ...(tags ? { tags } : {}) });
  } catch (err) {
    const msg = messageOf(err);
    throw new CliError(/already exists/.test(msg) ? msg : `could not create stack: ${msg}`);
  }
  const created = (await backend.getStack(ref)) ?? provisional;
  const result = new StackContext(ctx, backend, ref, created);
  process.stdout.write(`Created stack '${result.displayName}'\n`);
  if (secretFields) {
    const fields = secretFields;
    await result.updateSettings((settings) => {
      delete settings.secretsprovider;
      delete settings.encryptionsalt;
      delete settings.encryptedkey;
      Object.assign(settings, fields);
    });
  }
  if (options.select) await ctx.selectStack(ref);
  return result;
}

/** The `pulumi:*` tags Pulumi gives a stack from its project. */
function projectTags(project: { name: string; runtime: { name: string }; description?: string }): Record<string, string> {
  const tags: Record<string, string> = { "pulumi:project": project.name, "pulumi:runtime": project.runtime.name };
  if (project.description) tags["pulumi:description"] = project.description;
  return tags;
}

/** Pulumi's initial state for a new stack: a manifest and the secrets provider, no resources. */
export function initialDeployment(manager: SecretsManager, now = new Date()): UntypedDeployment {
  const version = `v${PULUMI_VERSION}`;
  return {
    version: 3,
    deployment: {
      manifest: { time: now.toISOString(), magic: createHash("sha256").update(version).digest("hex"), version },
      secrets_providers: { type: manager.type, state: manager.state },
    },
  };
}

function pick(s: { secretsprovider?: string; encryptionsalt?: string; encryptedkey?: string }) {
  return {
    ...(s.secretsprovider ? { secretsprovider: s.secretsprovider } : {}),
    ...(s.encryptionsalt ? { encryptionsalt: s.encryptionsalt } : {}),
    ...(s.encryptedkey ? { encryptedkey: s.encryptedkey } : {}),
  };
}

async function stackInit(cmd: Command, arg: string | undefined, opts: StackOpts & { secretsProvider?: string; copyConfigFrom?: string; select?: boolean }): Promise<void> {
  const name = stackFromArgOrFlag(arg, opts.stack);
  if (!name) throw new CliError("missing stack name");
  const ctx = await ctxOf(cmd);
  const stack = await initStack(ctx, name, { ...(opts.secretsProvider ? { secretsProvider: opts.secretsProvider } : {}), select: opts.select !== false });
  if (opts.copyConfigFrom) {
    ctx.requireProject();
    const source = await ctx.requireStack(opts.copyConfigFrom);
    await copyConfigInto(source, stack);
  }
}

async function stackSelect(cmd: Command, arg: string | undefined, opts: StackOpts & { create?: boolean; secretsProvider?: string }): Promise<void> {
  const name = stackFromArgOrFlag(arg, opts.stack);
  if (!name) throw new CliError("no stack selected; specify a stack name with --stack");
  const ctx = await ctxOf(cmd);
  const backend = await ctx.backend();
  let ref: StackRef;
  try {
    ref = backend.parseStackRef(name, ctx.projectName);
  } catch (err) {
    throw new CliError(messageOf(err));
  }
  if (await backend.getStack(ref)) {
    await ctx.selectStack(ref);
    return;
  }
  if (opts.create) {
    await initStack(ctx, name, { ...(opts.secretsProvider ? { secretsProvider: opts.secretsProvider } : {}), select: true });
    return;
  }
  throw new CliError(stackNotFoundMessage(ctx.displayName(ref, backend.kind)));
}

async function stackUnselect(cmd: Command): Promise<void> {
  const ctx = await ctxOf(cmd, true);
  try {
    await ctx.selectStack(undefined);
  } catch (err) {
    throw new CliError(`could not unselect the current stack from the workspace: ${messageOf(err)}`);
  }
  process.stderr.write("Stack was unselected\n");
}

// ---------------------------------------------------------------- ls

interface StackListEntry {
  name: string;
  current: boolean;
  lastUpdate?: string;
  updateInProgress?: boolean;
  resourceCount?: number;
  url?: string;
}

export function stackListEntries(summaries: StackSummary[], display: (ref: StackRef) => string, current: string | undefined, service: boolean): StackListEntry[] {
  return summaries
    .map((s) => ({ s, name: display(s.ref) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map(({ s, name }) => {
      const entry: StackListEntry = { name, current: name === current };
      if (s.lastUpdate !== undefined || s.updateInProgress) {
        if (s.updateInProgress && service) entry.updateInProgress = true;
        else {
          if (service) entry.updateInProgress = false;
          if (s.lastUpdate !== undefined) entry.lastUpdate = formatTime(s.lastUpdate);
        }
      }
      if (s.resourceCount !== undefined) entry.resourceCount = s.resourceCount;
      if (s.url) entry.url = s.url;
      return entry;
    });
}

async function stackList(cmd: Command, opts: { json?: boolean; all?: boolean; organization?: string; project?: string; tag?: string }): Promise<void> {
  const ctx = await ctxOf(cmd);
  const filter: { project?: string; organization?: string; tag?: { name: string; value?: string } } = {};
  if (opts.organization) filter.organization = opts.organization;
  if (opts.project) filter.project = opts.project;
  if (opts.tag) {
    const i = opts.tag.indexOf("=");
    filter.tag = i < 0 ? { name: opts.tag } : { name: opts.tag.slice(0, i), value: opts.tag.slice(i + 1) };
  }
  if (!opts.all && !opts.project) {
    if (!ctx.project) throw new CliError("no Pulumi.yaml found; please run this command in a project directory");
    filter.project = ctx.project.project.name;
  }
  const backend = await ctx.backend();
  const current = await ctx.currentStack().catch(() => undefined);
  const display = (ref: StackRef) => ctx.displayName(ref, backend.kind);
  const summaryList = await backend.listStacks(filter);
  const entries = stackListEntries(summaryList, display, current ? current.displayName : undefined, backend.kind === "service");
  if (opts.json) {
    printJson(entries);
    return;
  }
  const service = backend.kind === "service";
  const headers = service ? ["NAME", "LAST UPDATE", "RESOURCE COUNT", "URL"] : ["NAME", "LAST UPDATE", "RESOURCE COUNT"];
  const summaries = new Map(summaryList.map((s) => [display(s.ref), s]));
  const rows = entries.map((e) => {
    const s = summaries.get(e.name);
    const last = s?.updateInProgress ? "in progress" : s?.lastUpdate !== undefined ? humanizeTime(s.lastUpdate) : "n/a";
    const cols = [e.current ? `${e.name}*` : e.name, last, e.resourceCount !== undefined ? String(e.resourceCount) : "n/a"];
    if (service) cols.push(e.url ?? "n/a");
    return cols;
  });
  process.stdout.write(renderTable(headers, rows));
}

// ---------------------------------------------------------------- rm / rename

async function stackRemove(cmd: Command, arg: string | undefined, opts: StackOpts & { yes?: boolean; force?: boolean; preserveConfig?: boolean }): Promise<void> {
  const name = stackFromArgOrFlag(arg, opts.stack);
  const ctx = await ctxOf(cmd);
  const stack = await ctx.requireStack(name);
  requireYes(opts.yes);
  if (!opts.force) {
    const exported = await latestDeployment(stack);
    if ((exported?.deployment?.resources?.length ?? 0) > 0) {
      const n = stack.displayName;
      throw new CliError(
        `'${n}' still has resources; removal rejected. Possible actions:\n` +
          `- Make sure that '${n}' is the stack that you want to destroy\n` +
          "- Run `pulumi destroy` to delete the resources, then run `pulumi stack rm`\n" +
          "- Run `pulumi stack rm --force` to override this error",
      );
    }
  }
  try {
    await stack.backend.removeStack(stack.ref, opts.force ?? false);
  } catch (err) {
    throw new CliError(messageOf(err));
  }
  if (!opts.preserveConfig && ctx.project && stack.ref.project === ctx.project.project.name) {
    await rm(stack.settingsPath, { force: true });
  }
  process.stdout.write(`Stack '${stack.displayName}' has been removed!\n`);
  // Pulumi clears the selection whichever stack was removed.
  if (ctx.project) await ctx.selectStack(undefined).catch(() => undefined);
}

async function stackRename(cmd: Command, newName: string, opts: StackOpts): Promise<void> {
  const ctx = await ctxOf(cmd);
  const stack = await ctx.requireStack(opts.stack);
  const backend = stack.backend;
  let newRef: StackRef;
  try {
    newRef = backend.parseStackRef(newName, ctx.projectName ?? stack.ref.project);
    // A bare new name keeps the stack in its own project, as Pulumi's RenameStack does.
    if (!newName.includes("/")) newRef = { ...stack.ref, name: newRef.name };
    await backend.renameStack(stack.ref, newRef);
  } catch (err) {
    throw new CliError(messageOf(err));
  }
  if (ctx.project) {
    const oldPath = stack.settingsPath;
    const { stackSettingsPath } = await import("../workspace/project.js");
    const newPath = stackSettingsPath(ctx.project, newRef.name);
    if (existsSync(oldPath) && oldPath !== newPath) {
      try {
        await renameFile(oldPath, newPath);
      } catch (err) {
        throw new CliError(`renaming configuration file to ${newPath.slice(newPath.lastIndexOf("/") + 1)}: ${messageOf(err)}`);
      }
    }
    await ctx.selectStack(newRef);
  }
  process.stdout.write(`Renamed ${stack.displayName} to ${ctx.displayName(newRef, backend.kind)}\n`);
}

// ---------------------------------------------------------------- tags

async function tagStack(cmd: Command): Promise<StackContext> {
  const ctx = await ctxOf(cmd);
  return ctx.requireStack((cmd.opts() as StackOpts).stack);
}

function registerTags(stackCmd: Command): void {
  const tag = stackCmd.command("tag").description("Manage stack tags");
  stackOption(tag);
  const get = stackOption(tag.command("get <name>").description("Get a single stack tag value"));
  get.action(async (name: string, _o: StackOpts, cmd: Command) => {
    const stack = await tagStack(cmd);
    const tags = await stack.backend.getTags(stack.ref);
    if (!Object.hasOwn(tags, name)) throw new CliError(`stack tag '${name}' not found for stack '${stack.displayName}'`);
    process.stdout.write(`${tags[name]}\n`);
  });
  const ls = stackOption(tag.command("ls").alias("list").description("List all stack tags").option("-j, --json", "Emit output as JSON"));
  ls.action(async (o: StackOpts & { json?: boolean }, cmd: Command) => {
    const stack = await tagStack(cmd);
    const tags = await stack.backend.getTags(stack.ref);
    const keys = Object.keys(tags).sort();
    if (o.json) {
      printJson(Object.fromEntries(keys.map((k) => [k, tags[k]])));
      return;
    }
    process.stdout.write(renderTable(["NAME", "VALUE"], keys.map((k) => [k, tags[k]!])));
  });
  const set = stackOption(tag.command("set <name> <value>").description("Set a stack tag"));
  set.action(async (name: string, value: string, _o: StackOpts, cmd: Command) => {
    const stack = await tagStack(cmd);
    const tags = await stack.backend.getTags(stack.ref);
    await stack.backend.setTags(stack.ref, { ...tags, [name]: value });
  });
  const rmTag = stackOption(tag.command("rm <name>").alias("remove").alias("delete").description("Remove a stack tag"));
  rmTag.action(async (name: string, _o: StackOpts, cmd: Command) => {
    const stack = await tagStack(cmd);
    const tags = { ...(await stack.backend.getTags(stack.ref)) };
    delete tags[name];
    await stack.backend.setTags(stack.ref, tags);
  });
}

// ---------------------------------------------------------------- output

function shellQuote(s: string): string {
  if (s === "") return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

async function stackOutput(cmd: Command, name: string | undefined, opts: StackOpts & { json?: boolean; shell?: boolean; showSecrets?: boolean }): Promise<void> {
  if (opts.json && opts.shell) throw new CliError("only one of --json and --shell may be set");
  const ctx = await ctxOf(cmd);
  const stack = await ctx.requireStack(opts.stack);
  const deployment = (await latestDeployment(stack))?.deployment;
  const raw = stackOutputsOf(deployment);
  let sm: SecretsManager | undefined;
  if (opts.showSecrets && JSON.stringify(raw).includes("1b47061264138c4ac30d75fd1eb44270")) {
    sm = await stack.stateSecretsManager(deployment?.secrets_providers);
  }
  let outputs: Record<string, unknown>;
  try {
    outputs = await displayOutputs(raw, sm, opts.showSecrets ?? false);
  } catch (err) {
    throw new CliError(`getting outputs: ${messageOf(err)}`);
  }
  if (name !== undefined) {
    if (!Object.hasOwn(outputs, name)) throw new CliError(`current stack does not have output property '${name}'`);
    const v = outputs[name];
    if (opts.json) process.stdout.write(formatJson(v));
    else if (opts.shell) process.stdout.write(`${name}=${shellQuote(stringifyOutput(v))}\n`);
    else process.stdout.write(`${stringifyOutput(v)}\n`);
    return;
  }
  if (opts.json) printJson(outputs);
  else if (opts.shell) for (const k of Object.keys(outputs).sort()) process.stdout.write(`${k}=${shellQuote(stringifyOutput(outputs[k]))}\n`);
  else process.stdout.write(outputsTable(outputs));
}

// ---------------------------------------------------------------- export / import

async function stackExport(cmd: Command, opts: StackOpts & { file?: string; version?: string; showSecrets?: boolean }): Promise<void> {
  const ctx = await ctxOf(cmd);
  const stack = await ctx.requireStack(opts.stack);
  let exported: UntypedDeployment;
  if (opts.version) {
    const version = Number(opts.version);
    if (!Number.isInteger(version)) throw new CliError(`invalid version '${opts.version}'`);
    try {
      exported = await stack.backend.exportDeployment(stack.ref, version);
    } catch (err) {
      throw new CliError(messageOf(err));
    }
  } else {
    exported = await stack.backend.exportDeployment(stack.ref);
  }
  if (opts.showSecrets && exported.deployment) {
    const sm = await stack.stateSecretsManager(exported.deployment.secrets_providers);
    try {
      exported = { ...exported, deployment: await revealDeploymentSecrets(exported.deployment, sm) };
    } catch (err) {
      throw new CliError(messageOf(err));
    }
  }
  const text = `${JSON.stringify(exported, null, 4)}\n`;
  if (opts.file) await writeFile(opts.file, text);
  else process.stdout.write(text);
}

async function stackImport(cmd: Command, opts: StackOpts & { file?: string; force?: boolean }): Promise<void> {
  const ctx = await ctxOf(cmd);
  const stack = await ctx.requireStack(opts.stack);
  let text: string;
  try {
    text = opts.file ? await readFile(opts.file, "utf8") : await readAllStdin();
  } catch (err) {
    throw new CliError(`could not open file: ${messageOf(err)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new CliError(messageOf(err));
  }
  if (!isUntypedDeployment(parsed)) throw new CliError("could not read deployment: expected {\"version\": …, \"deployment\": …}");
  if (parsed.version > 4) {
    throw new CliError(`the stack '${stack.ref.name}' is newer than what this version of the Pulumi CLI understands. Please update your version of the Pulumi CLI`);
  }
  let deployment: DeploymentV3 = parsed.deployment;
  const problems = importProblems(deployment, stack.ref.name);
  if (problems.length > 0) {
    if (!opts.force) throw new CliError(formatMultiError([...problems, "importing this file could be dangerous; rerun with --force to proceed anyway"]).trimEnd());
    for (const p of problems) process.stderr.write(`warning: ${p}\n`);
  }
  if (deployment.pending_operations && deployment.pending_operations.length > 0) {
    for (const op of deployment.pending_operations) {
      process.stderr.write(`warning: removing pending operation '${op.type}' on '${op.resource.urn}' from snapshot\n`);
    }
    deployment = { ...deployment };
    delete deployment.pending_operations;
  }
  if (hasPlaintextSecrets(deployment)) {
    let sm: SecretsManager;
    if (deployment.secrets_providers) sm = await stack.stateSecretsManager(deployment.secrets_providers);
    else {
      sm = await stack.secretsManager();
      deployment = { ...deployment, secrets_providers: { type: sm.type, state: sm.state } };
    }
    try {
      deployment = await encryptPlaintextSecrets(deployment, sm);
    } catch (err) {
      throw new CliError(messageOf(err));
    }
  }
  try {
    await stack.backend.importDeployment(stack.ref, { ...parsed, deployment });
  } catch (err) {
    throw new CliError(`could not import deployment: ${messageOf(err)}`);
  }
  process.stdout.write("Import complete.\n");
}

// ---------------------------------------------------------------- history

interface UpdateJson {
  version: number;
  kind: string;
  startTime: string;
  message: string;
  environment: Record<string, string>;
  config: Record<string, ConfigJsonEntry>;
  result?: string;
  endTime?: string;
  resourceChanges?: Record<string, number>;
}

const ERROR_DECRYPTING = "ERROR_UNABLE_TO_DECRYPT";

export async function historyJson(updates: UpdateInfo[], sm: SecretsManager | undefined): Promise<UpdateJson[]> {
  const out: UpdateJson[] = [];
  for (const u of updates) {
    const config: Record<string, ConfigJsonEntry> = {};
    for (const key of Object.keys(u.config ?? {}).sort()) {
      const c = u.config[key]!;
      const v: ConfigValue = { value: c.string, secure: c.secret, object: c.object };
      if (v.secure && !sm) {
        config[key] = { secret: true };
        continue;
      }
      let text: string;
      try {
        const plain = v.secure ? await decryptAll([v], sm) : new Map<string, string>();
        text = valueText(v, (ct) => plain.get(ct) ?? "");
      } catch {
        config[key] = { value: ERROR_DECRYPTING, secret: v.secure };
        continue;
      }
      config[key] = v.object && text !== "" ? configJsonEntry(v, text, true) : { value: text, secret: v.secure };
    }
    const entry: UpdateJson = {
      version: u.version ?? 0,
      kind: u.kind,
      startTime: formatTime(u.startTime),
      message: u.message ?? "",
      environment: u.environment ?? {},
      config,
    };
    if (u.result) entry.result = u.result;
    if (u.result !== "in-progress") {
      entry.endTime = formatTime(u.endTime ?? 0);
      entry.resourceChanges = { ...(u.resourceChanges ?? {}) } as Record<string, number>;
    }
    out.push(entry);
  }
  return out;
}

function historyText(updates: UpdateInfo[], page: number, fullDates: boolean): string {
  if (updates.length === 0) return page > 1 ? `No stack updates found on page '${page}'\n` : "Stack has never been updated\n";
  let out = "";
  for (const u of updates) {
    const rc = (u.resourceChanges ?? {}) as Record<string, number>;
    out += `Version: ${u.version ?? 0}\nUpdateKind: ${u.kind}\nStatus: ${u.result}\nMessage: ${u.message ?? ""}\n`;
    out += `+${rc["create"] ?? 0}-${rc["delete"] ?? 0}~${rc["update"] ?? 0} ${rc["same"] ?? 0}`;
    const created = fullDates ? goTimeString(new Date(u.startTime * 1000)) : humanizeTime(u.startTime);
    out += ` Updated ${created} took ${goDuration((u.endTime ?? u.startTime) - u.startTime)}\n`;
    for (const k of Object.keys(u.environment ?? {}).sort()) {
      const v = u.environment[k]!;
      if (v.trim() !== "") out += `    ${k}: ${v}\n`;
    }
    out += "\n";
  }
  return out;
}

async function stackHistory(cmd: Command, opts: StackOpts & { json?: boolean; showSecrets?: boolean; pageSize?: string; page?: string; fullDates?: boolean }): Promise<void> {
  const ctx = await ctxOf(cmd);
  const stack = await ctx.requireStack(opts.stack);
  const pageSize = Number(opts.pageSize ?? 10);
  const page = Number(opts.page ?? 1);
  let updates: UpdateInfo[];
  try {
    updates = await stack.backend.history(stack.ref, pageSize, page);
  } catch (err) {
    throw new CliError(`getting history: ${messageOf(err)}`);
  }
  if (opts.json) {
    let sm: SecretsManager | undefined;
    if (opts.showSecrets && updates.some((u) => Object.values(u.config ?? {}).some((c) => c.secret))) {
      try {
        sm = await stack.secretsManager();
      } catch (err) {
        throw new CliError(`decrypting secrets: ${messageOf(err)}`);
      }
    }
    printJson(await historyJson(updates, sm));
    return;
  }
  process.stdout.write(historyText(updates, page, opts.fullDates ?? false));
}

// ---------------------------------------------------------------- change-secrets-provider

async function changeSecretsProvider(cmd: Command, provider: string, opts: StackOpts): Promise<void> {
  if (provider !== "passphrase" && provider !== "default") {
    throw new CliError(`changing to secrets provider '${provider}' is not supported by Stackyard; use 'passphrase'`);
  }
  const ctx = await ctxOf(cmd, true);
  const stack = await ctx.requireStack(opts.stack);
  const settings = await stack.loadSettings();
  const secure = [...settings.config.values()].filter((v) => v.secure);
  const plaintexts = secure.length > 0 ? await decryptAll(secure, await stack.secretsManager()) : new Map<string, string>();
  const exported = await latestDeployment(stack);
  let revealed: DeploymentV3 | undefined;
  if (exported?.deployment?.resources?.length) {
    revealed = await revealDeploymentSecrets(exported.deployment, await stack.stateSecretsManager(exported.deployment.secrets_providers));
  } else if (exported?.deployment?.secrets_providers) {
    // No resources, but the checkpoint still names the old provider; it must follow the config.
    revealed = exported.deployment;
  }
  const { createPassphraseState, readPassphrase } = await import("@stackyard/engine/secrets/index");
  const fresh = await createPassphraseState(await readPassphrase(ctx.env, ctx.cwd));
  const cts = await fresh.encrypt([...plaintexts.values()]);
  const mapping = new Map([...plaintexts.keys()].map((old, i): [string, string] => [old, cts[i]!]));
  await stack.updateSettings((s) => {
    delete s.secretsprovider;
    delete s.encryptedkey;
    s.encryptionsalt = fresh.saltState;
    for (const [k, v] of s.config) s.config.set(k, mapCiphertexts(v, (ct) => mapping.get(ct) ?? ct));
  });
  if (exported && revealed) {
    const deployment = await encryptPlaintextSecrets({ ...revealed, secrets_providers: { type: fresh.type, state: fresh.state } }, fresh);
    await stack.backend.importDeployment(stack.ref, { ...exported, deployment });
  }
}

// ---------------------------------------------------------------- registration

export function register(program: Command): void {
  const stackCmd = program
    .command("stack")
    .description("Manage stacks and view stack state")
    .option("-i, --show-ids", "Display each resource's provider-assigned unique ID")
    .option("-u, --show-urns", "Display each resource's Pulumi-assigned globally unique URN")
    .option("--show-secrets", "Display stack outputs which are marked as secret in plaintext")
    .option("--show-name", "Display only the stack name")
    .option("-j, --json", "Emit output as JSON");
  stackOption(stackCmd);
  stackCmd.action(async (opts: Parameters<typeof showStack>[1], cmd: Command) => showStack(cmd, opts));

  const init = stackCmd
    .command("init [stack-name]")
    .description("Create an empty stack with the given name, ready for updates")
    .option("--secrets-provider <provider>", "The type of the provider that should be used to encrypt and decrypt secrets (possible choices: default, passphrase)", "default")
    .option("--copy-config-from <stack>", "The name of the stack to copy existing config from")
    .option("--no-select", "Do not select the stack")
    .option("--teams <team>", "A list of team names that should have permission to read and update this stack")
    .option("--remote-config", "Store stack configuration remotely");
  stackOption(init);
  init.action(async (arg: string | undefined, opts: Parameters<typeof stackInit>[2], cmd: Command) => stackInit(cmd, arg, opts));

  const select = stackCmd
    .command("select [stack]")
    .description("Switch the current workspace to the given stack")
    .option("-c, --create", "If selected stack does not exist, create it")
    .option("--secrets-provider <provider>", "Use with --create flag, the type of the provider that should be used to encrypt and decrypt secrets", "default");
  stackOption(select);
  select.action(async (arg: string | undefined, opts: Parameters<typeof stackSelect>[2], cmd: Command) => stackSelect(cmd, arg, opts));

  stackCmd.command("unselect").description("Resets stack selection from the current workspace").action(async (_o: unknown, cmd: Command) => stackUnselect(cmd));

  const ls = stackCmd
    .command("ls")
    .alias("list")
    .description("List stacks")
    .option("-j, --json", "Emit output as JSON")
    .option("-a, --all", "List all stacks instead of just stacks for the current project")
    .option("-o, --organization <org>", "Filter returned stacks to those in a specific organization")
    .option("-p, --project <project>", "Filter returned stacks to those with a specific project name")
    .option("-t, --tag <tag>", "Filter returned stacks to those in a specific tag (tag-name or tag-name=tag-value)");
  ls.action(async (opts: Parameters<typeof stackList>[1], cmd: Command) => stackList(cmd, opts));

  const rmCmd = stackCmd
    .command("rm [stack-name]")
    .alias("remove")
    .alias("delete")
    .description("Remove a stack and its configuration")
    .option("-f, --force", "Forces deletion of the stack, leaving behind any resources managed by the stack")
    .option("-y, --yes", "Skip confirmation prompts, and proceed with removal anyway")
    .option("--preserve-config", "Do not delete the corresponding Pulumi.<stack-name>.yaml configuration file for the stack")
    .option("--remove-backups", "Additionally remove backups of the stack, if using the DIY backend");
  stackOption(rmCmd);
  rmCmd.action(async (arg: string | undefined, opts: Parameters<typeof stackRemove>[2], cmd: Command) => stackRemove(cmd, arg, opts));

  const renameCmd = stackCmd.command("rename <new-stack-name>").description("Rename an existing stack");
  stackOption(renameCmd);
  acceptGlobalFlags(renameCmd);
  renameCmd.action(async (newName: string, opts: StackOpts, cmd: Command) => stackRename(cmd, newName, opts));

  registerTags(stackCmd);

  const output = stackCmd
    .command("output [property-name]")
    .description("Show a stack's output properties")
    .option("-j, --json", "Emit output as JSON")
    .option("--shell", "Emit output as a shell script")
    .option("--show-secrets", "Display outputs which are marked as secret in plaintext");
  stackOption(output);
  output.action(async (name: string | undefined, opts: Parameters<typeof stackOutput>[2], cmd: Command) => stackOutput(cmd, name, opts));

  const exp = stackCmd
    .command("export")
    .description("Export a stack's deployment to standard out")
    .option("--file <file>", "A filename to write stack output to")
    .option("--version <version>", "Previous stack version to export. (If unset, will export the latest.)")
    .option("--show-secrets", "Emit secrets in plaintext in exported stack. Defaults to `false`");
  stackOption(exp);
  exp.action(async (opts: Parameters<typeof stackExport>[1], cmd: Command) => stackExport(cmd, opts));

  const imp = stackCmd
    .command("import")
    .description("Import a deployment from standard in into an existing stack")
    .option("--file <file>", "A filename to read stack input from")
    .option("-f, --force", "Force the import to occur, even if apparent errors are discovered beforehand (not recommended)");
  stackOption(imp);
  imp.action(async (opts: Parameters<typeof stackImport>[1], cmd: Command) => stackImport(cmd, opts));

  const history = stackCmd
    .command("history")
    .alias("hist")
    .description("Display history for a stack")
    .option("-j, --json", "Emit output as JSON")
    .option("--show-secrets", "Show secret values when listing config instead of displaying blinded values")
    .option("--full-dates", "Show full dates, instead of relative dates")
    .option("--page-size <n>", "Used with 'page' to control number of results returned", "10")
    .option("--page <n>", "Used with 'page-size' to paginate results", "1");
  stackOption(history, "Choose a stack other than the currently selected one");
  history.action(async (opts: Parameters<typeof stackHistory>[1], cmd: Command) => stackHistory(cmd, opts));

  const csp = stackCmd.command("change-secrets-provider <new-secrets-provider>").description("Change the secrets provider for a stack");
  stackOption(csp);
  csp.action(async (provider: string, opts: StackOpts, cmd: Command) => changeSecretsProvider(cmd, provider, opts));
}
