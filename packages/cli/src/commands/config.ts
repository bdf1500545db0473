/** `pulumi config` and its subcommands (get, set, set-all, rm, rm-all, refresh, cp, env). */
import { existsSync } from "node:fs";
import { rename } from "node:fs/promises";
import type { Command } from "commander";
import type { SecretsManager } from "@stackyard/engine/api";
import { CliError } from "../cli/errors.js";
import { parseConfigKey, parseKeyValuePair, prettyKey } from "../workspace/config-key.js";
import { applyProjectConfig, configJson, configJsonEntry, configTexts, decryptAll, hasSecureValue } from "../workspace/config-map.js";
import {
  configGet,
  configRemove,
  configSet,
  fromWire,
  mapCiphertexts,
  objectToValue,
  plainValue,
  secureValue,
  splitKey,
  type ConfigValue,
  type ConfigValueType,
  type StackConfig,
} from "../workspace/config-value.js";
import { CommandContext, StackContext } from "../workspace/context.js";
import { formatJson, printJson, renderTable } from "../workspace/output.js";
import { saveStackSettings, type StackSettings } from "../workspace/stack-settings.js";
import { collect, configFileOption, diyBackendName, isInteractive, messageOf, readAllStdin, stackOption } from "../workspace/cli-helpers.js";

interface StackOpts {
  stack?: string;
  configFile?: string;
}

async function openStack(cmd: Command, opts: StackOpts): Promise<{ ctx: CommandContext; stack: StackContext }> {
  const ctx = await CommandContext.fromCommand(cmd, { requireProject: true });
  const stack = await ctx.requireStack(opts.stack, { offerNew: true, ...(opts.configFile ? { configFile: opts.configFile } : {}) });
  return { ctx, stack };
}

/** ESC environments need a service backend; DIY refuses with Pulumi's message. */
function environmentsUnsupported(stack: StackContext): CliError {
  const name = stack.backend.kind === "diy" ? diyBackendName() : stack.backend.url;
  return new CliError(
    `backend ${name} does not support environments; Pulumi ESC environments require the Pulumi Cloud backend, ` +
      "use `pulumi login` without arguments to log into the Pulumi Cloud backend",
  );
}

function checkEnvironment(stack: StackContext, settings: StackSettings): void {
  if (settings.environment !== undefined && stack.backend.kind === "diy") throw environmentsUnsupported(stack);
}

/** Namespace first, then name — Go's KeyArray order, used for the human table. */
function compareKeys(a: string, b: string): number {
  const ka = splitKey(a);
  const kb = splitKey(b);
  if (ka.namespace !== kb.namespace) return ka.namespace < kb.namespace ? -1 : 1;
  return ka.name < kb.name ? -1 : ka.name > kb.name ? 1 : 0;
}

async function plaintextsFor(stack: StackContext, config: StackConfig, show: boolean): Promise<Map<string, string> | "blind"> {
  if (!show || !hasSecureValue(config)) return "blind";
  return decryptAll(config.values(), await stack.secretsManager());
}

async function listConfig(cmd: Command, opts: StackOpts & { json?: boolean; showSecrets?: boolean }): Promise<void> {
  const { ctx, stack } = await openStack(cmd, opts);
  const settings = await stack.loadSettings();
  checkEnvironment(stack, settings);
  const { config } = applyProjectConfig(ctx.requireProject().project, settings.config);
  const texts = configTexts(config, await plaintextsFor(stack, config, opts.showSecrets ?? false));
  if (opts.json) {
    printJson(configJson(config, texts, opts.showSecrets ?? false));
    return;
  }
  const keys = [...config.keys()].sort(compareKeys);
  process.stdout.write(renderTable(["KEY", "VALUE"], keys.map((k) => [prettyKey(k, ctx.projectName), texts.get(k)!])));
}

async function getConfig(cmd: Command, keyText: string, opts: StackOpts & { json?: boolean; path?: boolean }): Promise<void> {
  const { ctx, stack } = await openStack(cmd, opts);
  const path = opts.path ?? false;
  const key = parseKey(ctx, keyText, path);
  const settings = await stack.loadSettings();
  checkEnvironment(stack, settings);
  const { config } = applyProjectConfig(ctx.requireProject().project, settings.config);
  let value: ConfigValue | undefined;
  try {
    value = configGet(config, key, path);
  } catch (err) {
    throw new CliError(messageOf(err));
  }
  if (!value) throw new CliError(`configuration key '${prettyKey(key, ctx.projectName)}' not found for stack '${stack.displayName}'`);
  let text: string;
  const manager = value.secure ? await stack.secretsManager() : undefined;
  try {
    const single: StackConfig = new Map([[key, value]]);
    const plaintexts = manager ? await decryptAll([value], manager) : new Map<string, string>();
    text = configTexts(single, plaintexts).get(key)!;
  } catch (err) {
    throw new CliError(`could not decrypt configuration value: ${messageOf(err)}`);
  }
  if (opts.json) process.stdout.write(formatJson(configJsonEntry(value, text, true)));
  else process.stdout.write(`${text}\n`);
}

function parseKey(ctx: CommandContext, text: string, path: boolean): string {
  try {
    return parseConfigKey(text, path, () => ctx.requireProject().project.name);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`invalid configuration key: ${messageOf(err)}`);
  }
}

function typedValue(text: string, type: string | undefined): ConfigValue {
  if (type === undefined || type === "") return plainValue(text);
  if (!["string", "int", "bool", "float"].includes(type)) throw new CliError(`invalid type "${type}"; must be one of string, int, bool, or float`);
  return { ...plainValue(text), type: type as ConfigValueType };
}

/** Cobra's MarkFlagsMutuallyExclusive message. */
function exclusiveFlags(opts: Record<string, unknown>, names: string[]): void {
  const set = names.filter((n) => opts[n] !== undefined && opts[n] !== false);
  if (set.length > 1) {
    throw new CliError(`if any flags in the group [${names.join(" ")}] are set none of the others can be; [${[...set].sort().join(" ")}] were all set`);
  }
}

async function setConfig(
  cmd: Command,
  keyText: string,
  valueArg: string | undefined,
  opts: StackOpts & { path?: boolean; secret?: boolean; plaintext?: boolean; type?: string; raw?: boolean },
): Promise<void> {
  exclusiveFlags(opts as Record<string, unknown>, ["secret", "plaintext", "type"]);
  const { ctx, stack } = await openStack(cmd, opts);
  const path = opts.path ?? false;
  const key = parseKey(ctx, keyText, path);
  let value = valueArg;
  if (value === undefined) {
    if (!process.stdin.isTTY) {
      const text = await readAllStdin();
      value = opts.raw ? text : text.replace(/\r?\n$/, "");
    } else if (!isInteractive()) {
      throw new CliError("config value must be specified in non-interactive mode");
    } else {
      throw new CliError("config value must be specified (interactive prompting is not supported)");
    }
  }
  const text = value;
  await stack.updateSettings(async (settings) => {
    let stored: ConfigValue;
    if (opts.secret) {
      const { manager } = await stack.secretsManagerFor(settings);
      stored = secureValue((await manager.encrypt([text]))[0]!);
    } else {
      stored = typedValue(text, opts.type);
    }
    try {
      configSet(settings.config, key, stored, path);
    } catch (err) {
      throw new CliError(`could not set config: ${messageOf(err)}`);
    }
  });
}

interface SetAllOpts extends StackOpts {
  path?: boolean;
  plaintext?: string[];
  secret?: string[];
  json?: string;
}

interface ConfigJsonInput {
  value?: string | null;
  objectValue?: unknown;
  secret?: boolean;
}

async function setAllConfig(cmd: Command, opts: SetAllOpts): Promise<void> {
  const plaintexts = opts.plaintext ?? [];
  const secrets = opts.secret ?? [];
  if (opts.json !== undefined && (plaintexts.length > 0 || secrets.length > 0 || opts.path)) {
    throw new CliError("the --json option cannot be used with the --plaintext, --secret or --path options");
  }
  const { ctx, stack } = await openStack(cmd, opts);
  const path = opts.path ?? false;
  const projectName = () => ctx.requireProject().project.name;
  let jsonInput: Record<string, ConfigJsonInput> | undefined;
  if (opts.json !== undefined) {
    try {
      jsonInput = JSON.parse(opts.json) as Record<string, ConfigJsonInput>;
    } catch (err) {
      throw new CliError(`could not parse --json argument: ${messageOf(err)}`);
    }
  }
  await stack.updateSettings(async (settings) => {
    let manager: SecretsManager | undefined;
    const encrypt = async (text: string): Promise<string> => {
      manager ??= (await stack.secretsManagerFor(settings)).manager;
      return (await manager.encrypt([text]))[0]!;
    };
    const set = (key: string, v: ConfigValue, usePath: boolean, wrap?: (m: string) => string) => {
      try {
        configSet(settings.config, key, v, usePath);
      } catch (err) {
        throw new CliError(wrap ? wrap(messageOf(err)) : messageOf(err));
      }
    };
    for (const pair of plaintexts) {
      const { key, value } = kv(pair, path, projectName);
      set(key, plainValue(value), path);
    }
    for (const pair of secrets) {
      const { key, value } = kv(pair, path, projectName);
      set(key, secureValue(await encrypt(value)), path);
    }
    for (const [jsonKey, entry] of Object.entries(jsonInput ?? {})) {
      if (entry === null || typeof entry !== "object" || entry.value === undefined || entry.value === null) {
        throw new CliError(`value for --json object key "${jsonKey}" is nil`);
      }
      let key: string;
      try {
        key = parseConfigKey(jsonKey, false, projectName);
      } catch (err) {
        throw new CliError(`invalid --json object key "${jsonKey}": ${messageOf(err)}`);
      }
      const wrap = (m: string) => `could not set --json config for "${jsonKey}": ${m}`;
      if (entry.objectValue !== undefined && entry.objectValue !== null) {
        // Pulumi addresses object entries as paths; a secret object is stored as one secure value.
        const v = entry.secret ? secureValue(await encrypt(entry.value)) : objectToValue(fromWire(JSON.parse(entry.value)));
        set(key, v, true, wrap);
      } else if (entry.secret) {
        set(key, secureValue(await encrypt(entry.value)), false, wrap);
      } else {
        set(key, plainValue(entry.value), false, wrap);
      }
    }
  });
}

function kv(pair: string, path: boolean, projectName: () => string): { key: string; value: string } {
  let parsed: { key: string; value: string };
  try {
    parsed = parseKeyValuePair(pair);
  } catch (err) {
    throw new CliError(messageOf(err));
  }
  try {
    return { key: parseConfigKey(parsed.key, path, projectName), value: parsed.value };
  } catch (err) {
    throw new CliError(`invalid configuration key: ${messageOf(err)}`);
  }
}

async function removeConfig(cmd: Command, keys: string[], opts: StackOpts & { path?: boolean }): Promise<void> {
  const { ctx, stack } = await openStack(cmd, opts);
  const path = opts.path ?? false;
  const parsed = keys.map((k) => parseKey(ctx, k, path));
  await stack.updateSettings((settings) => {
    for (const key of parsed) {
      try {
        configRemove(settings.config, key, path);
      } catch (err) {
        throw new CliError(`could not remove config: ${messageOf(err)}`);
      }
    }
  });
}

async function refreshConfig(cmd: Command, opts: StackOpts & { force?: boolean }): Promise<void> {
  const { stack } = await openStack(cmd, opts);
  const [latest] = await stack.backend.history(stack.ref, 1, 1);
  if (!latest) throw new CliError("getting latest configuration: no previous deployment");
  const configPath = stack.settingsPath;
  let providers: { type: string; state?: unknown } | undefined;
  try {
    providers = (await stack.backend.exportDeployment(stack.ref)).deployment?.secrets_providers;
  } catch (err) {
    throw new CliError(`getting deployment: ${messageOf(err)}`);
  }
  const settings = await stack.loadSettings();
  settings.config = new Map(
    Object.entries(latest.config ?? {}).map(([k, v]): [string, ConfigValue] => [k, { value: v.string, secure: v.secret, object: v.object }]),
  );
  if (providers) {
    delete settings.secretsprovider;
    delete settings.encryptedkey;
    delete settings.encryptionsalt;
    const salt = (providers.state as { salt?: unknown } | undefined)?.salt;
    if (providers.type === "passphrase" && typeof salt === "string") settings.encryptionsalt = salt;
    else if (providers.type === "service") settings.secretsprovider = "service";
  }
  if (!existsSync(configPath) || opts.force) {
    await saveStackSettings(configPath, settings);
    return;
  }
  let backup = `${configPath}.bak`;
  while (existsSync(backup)) backup += ".bak";
  await rename(configPath, backup);
  process.stdout.write(`backed up existing configuration file to ${backup}\n`);
  await saveStackSettings(configPath, settings);
  process.stdout.write(`refreshed configuration for stack '${stack.ref.name}'\n`);
}

async function copyConfig(cmd: Command, keyText: string | undefined, opts: StackOpts & { dest?: string; path?: boolean }): Promise<void> {
  const { ctx, stack } = await openStack(cmd, opts);
  if (!opts.dest) throw new CliError("required flag(s) \"dest\" not set");
  const dest = await ctx.requireStack(opts.dest);
  if (dest.settingsPath === stack.settingsPath) throw new CliError("current stack and destination stack are the same");
  const path = opts.path ?? false;
  const source = await stack.loadSettings();
  let entries: [string, ConfigValue][];
  if (keyText !== undefined) {
    const key = parseKey(ctx, keyText, path);
    const v = configGet(source.config, key, path);
    if (!v) throw new CliError(`configuration key '${prettyKey(key, ctx.projectName)}' not found for stack '${stack.displayName}'`);
    entries = [[key, v]];
  } else {
    entries = [...source.config];
  }
  const secureEntries = entries.filter(([, v]) => v.secure);
  const plaintexts = secureEntries.length > 0 ? await decryptAll(secureEntries.map(([, v]) => v), await stack.secretsManager()) : new Map<string, string>();
  await dest.updateSettings(async (settings) => {
    let manager: SecretsManager | undefined;
    if (secureEntries.length > 0) manager = (await dest.secretsManagerFor(settings)).manager;
    const reencrypted = new Map<string, string>();
    if (manager) {
      const pts = [...plaintexts.values()];
      const cts = await manager.encrypt(pts);
      [...plaintexts.keys()].forEach((oldCt, i) => reencrypted.set(oldCt, cts[i]!));
    }
    for (const [key, v] of entries) {
      configSet(settings.config, key, mapCiphertexts(v, (ct) => reencrypted.get(ct)!), keyText !== undefined && path);
    }
  });
}

async function environmentCommand(cmd: Command, opts: StackOpts): Promise<void> {
  const { stack } = await openStack(cmd, opts);
  throw environmentsUnsupported(stack);
}

export function register(program: Command): void {
  const config = program
    .command("config")
    .description("Manage configuration")
    .option("--show-secrets", "Show secret values when listing config instead of displaying blinded values")
    .option("--open", "Open and resolve any environments listed in the stack configuration")
    .option("-j, --json", "Emit output as JSON");
  stackOption(config);
  configFileOption(config);
  config.action(async (opts: StackOpts & { json?: boolean; showSecrets?: boolean }, cmd: Command) => listConfig(cmd, opts));

  const get = config
    .command("get <key>")
    .description("Get a single configuration value")
    .option("--path", "The key contains a path to a property in a map or list to get")
    .option("-j, --json", "Emit output as JSON")
    .option("--open", "Open and resolve any environments listed in the stack configuration");
  stackOption(get);
  configFileOption(get);
  get.action(async (key: string, opts: StackOpts & { json?: boolean; path?: boolean }, cmd: Command) => getConfig(cmd, key, opts));

  const set = config
    .command("set <key> [value]")
    .description("Set configuration value")
    .option("--path", "The key contains a path to a property in a map or list to set")
    .option("--plaintext", "Save the value as plaintext (unencrypted)")
    .option("--secret", "Encrypt the value instead of storing it in plaintext")
    .option("--type <type>", "Save the value as the given type.  Allowed values are string, bool, int, and float")
    .option("--raw", "When setting the value through stdin, do not trim trailing newlines from the value");
  stackOption(set);
  configFileOption(set);
  set.action(async (key: string, value: string | undefined, opts: Parameters<typeof setConfig>[3], cmd: Command) => setConfig(cmd, key, value, opts));

  const setAll = config
    .command("set-all")
    .description("Set multiple configuration values")
    .option("--path", "Parse the keys as paths in a map or list rather than raw strings")
    .option("--plaintext <key=value>", "Marks a value as plaintext (unencrypted)", collect)
    .option("--secret <key=value>", "Marks a value as secret to be encrypted", collect)
    .option("--json <json>", "Read values from a JSON string in the format produced by 'pulumi config --json'");
  stackOption(setAll);
  configFileOption(setAll);
  setAll.action(async (opts: SetAllOpts, cmd: Command) => setAllConfig(cmd, opts));

  const rm = config
    .command("rm <key>")
    .alias("remove")
    .description("Remove configuration value")
    .option("--path", "The key contains a path to a property in a map or list to remove");
  stackOption(rm);
  configFileOption(rm);
  rm.action(async (key: string, opts: StackOpts & { path?: boolean }, cmd: Command) => removeConfig(cmd, [key], opts));

  const rmAll = config
    .command("rm-all <keys...>")
    .alias("remove-all")
    .description("Remove multiple configuration values")
    .option("--path", "Parse the keys as paths in a map or list rather than raw strings");
  stackOption(rmAll);
  configFileOption(rmAll);
  rmAll.action(async (keys: string[], opts: StackOpts & { path?: boolean }, cmd: Command) => removeConfig(cmd, keys, opts));

  const refresh = config
    .command("refresh")
    .description("Update the local configuration based on the most recent deployment of the stack")
    .option("-f, --force", "Overwrite configuration file, if it exists, without creating a backup");
  stackOption(refresh);
  configFileOption(refresh);
  refresh.action(async (opts: StackOpts & { force?: boolean }, cmd: Command) => refreshConfig(cmd, opts));

  const cp = config
    .command("cp [key]")
    .alias("copy")
    .description("Copy config to another stack")
    .option("--path", "The key contains a path to a property in a map or list to set")
    .option("-d, --dest <stack>", "The name of the new stack to copy the config to");
  stackOption(cp);
  configFileOption(cp);
  cp.action(async (key: string | undefined, opts: StackOpts & { dest?: string; path?: boolean }, cmd: Command) => copyConfig(cmd, key, opts));

  const env = config.command("env").description("Manage ESC environments for a stack");
  stackOption(env);
  for (const [name, args, alias] of [
    ["add", "<environment-name...>", undefined],
    ["rm", "<environment-name>", "remove"],
    ["ls", "", "list"],
    ["init", "", undefined],
  ] as const) {
    const sub = env.command(args ? `${name} ${args}` : name).description(`${name} environments`);
    if (alias) sub.alias(alias);
    sub.option("-y, --yes", "Skip confirmation prompts").option("-j, --json", "Emit output as JSON").option("--show-secrets", "Show secret values");
    stackOption(sub);
    configFileOption(sub);
    sub.action(async (...args: unknown[]) => {
      const cmd = args[args.length - 1] as Command;
      await environmentCommand(cmd, cmd.opts() as StackOpts);
    });
  }
}
