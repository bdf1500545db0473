/**
 * CommandContext: what every command resolves first — working directory, project, PULUMI_HOME,
 * backend, the stack to operate on, its settings, secrets manager and config. Commands (and the
 * up/preview/refresh/destroy operations) go through here so they agree on every rule.
 */
import { resolve } from "node:path";
import type { Command } from "commander";
import type { ConfigMap, ProgramSource, SecretsManager, StackIdentity } from "@stackyard/engine/api";
import type { StackSecretsSettings } from "@stackyard/engine/secrets/index";
import type { Backend, StackRef, StackSummary } from "../backend/backend.js";
import { formatStackRef } from "../backend/backend.js";
import { CliError } from "../cli/errors.js";
import { openBackend, requireBackendUrl } from "./backend-url.js";
import { buildEngineConfig, hasSecureValue, historyConfig } from "./config-map.js";
import { pulumiHome, readCredentials, readSelectedStack, writeSelectedStack, type Credentials, type Env } from "./home.js";
import { loadProject, resolveProgram, stackSettingsPath, tryLoadProject, type LoadedProject } from "./project.js";
import { loadStackSettings, updateStackSettings, type StackSettings } from "./stack-settings.js";

/** Options every command inherits from the root program (main.ts). */
export interface GlobalOptions {
  cwd?: string;
  fullyQualifyStackNames?: boolean;
  color?: string;
}

/** Reads the root program's options from inside a subcommand action. */
export function globalOptions(cmd: Command): GlobalOptions {
  const all = cmd.optsWithGlobals() as Record<string, unknown>;
  return {
    ...(typeof all["cwd"] === "string" ? { cwd: all["cwd"] } : {}),
    ...(all["fullyQualifyStackNames"] === true ? { fullyQualifyStackNames: true } : {}),
    ...(typeof all["color"] === "string" ? { color: all["color"] } : {}),
  };
}

export const NO_STACK_SELECTED_OFFER_NEW = "no stack selected; please use `pulumi stack select` or `pulumi stack init` to choose one";
export const NO_STACK_SELECTED = "no stack selected; please use `pulumi stack select` to choose one";

export function stackNotFoundMessage(name: string): string {
  return `no stack named '${name}' found`;
}

/** How Pulumi prints a stack reference: the bare name inside its own project, else fully qualified. */
/**
 * Pulumi's stack reference text: the project is elided when it is the current one, and the owner
 * too when it is the default organization (always, on DIY backends).
 */
export function displayStackName(
  ref: StackRef,
  currentProject: string | undefined,
  fullyQualify = false,
  kind: Backend["kind"] = "diy",
  defaultOrganization?: string,
): string {
  if (fullyQualify || currentProject === undefined || ref.project !== currentProject) return formatStackRef(ref);
  return kind === "diy" || ref.organization === defaultOrganization ? ref.name : `${ref.organization}/${ref.name}`;
}

export class CommandContext {
  private backendPromise: Promise<Backend> | undefined;
  private openedBackend: Backend | undefined;
  private credentialsPromise: Promise<Credentials> | undefined;

  private constructor(
    readonly cwd: string,
    readonly env: Env,
    readonly home: string,
    readonly project: LoadedProject | undefined,
    readonly options: GlobalOptions,
  ) {}

  /**
   * Resolves `-C/--cwd` and loads the project when there is one. `requireProject` turns a missing
   * project into Pulumi's "no Pulumi.yaml project file found" error.
   */
  static async create(options: GlobalOptions & { env?: Env; requireProject?: boolean } = {}): Promise<CommandContext> {
    const env = options.env ?? process.env;
    const cwd = options.cwd ? resolve(options.cwd) : process.cwd();
    // Pulumi's -C changes the process directory, so every relative path (--file, --config-file,
    // file:// URLs) is taken from there.
    if (options.cwd) process.chdir(cwd);
    const project = options.requireProject ? await loadProject(cwd) : await tryLoadProject(cwd);
    return new CommandContext(cwd, env, pulumiHome(env), project, options);
  }

  /** From a commander action: `await CommandContext.fromCommand(cmd)`. */
  static fromCommand(cmd: Command, extra: { requireProject?: boolean } = {}): Promise<CommandContext> {
    return CommandContext.create({ ...globalOptions(cmd), ...extra });
  }

  get projectName(): string | undefined {
    return this.project?.project.name;
  }

  requireProject(): LoadedProject {
    if (!this.project) {
      throw new CliError(
        `no Pulumi.yaml project file found (searching upwards from ${this.cwd}). If you have not created a project yet, use \`pulumi new\` to do so`,
      );
    }
    return this.project;
  }

  credentials(): Promise<Credentials> {
    this.credentialsPromise ??= readCredentials(this.home);
    return this.credentialsPromise;
  }

  async backendUrl(): Promise<string> {
    return requireBackendUrl(this.env, this.project?.project.backendUrl, await this.credentials());
  }

  backend(): Promise<Backend> {
    this.backendPromise ??= (async () => {
      const backend = await openBackend(await this.backendUrl(), { credentials: await this.credentials(), env: this.env, cwd: this.cwd });
      this.openedBackend = backend;
      return backend;
    })();
    return this.backendPromise;
  }

  async parseStackRef(text: string): Promise<StackRef> {
    return (await this.backend()).parseStackRef(text, this.projectName);
  }

  displayName(ref: StackRef, kind: Backend["kind"] = "diy"): string {
    return displayStackName(ref, this.projectName, this.options.fullyQualifyStackNames ?? false, kind, this.openedBackend?.defaultOrganization);
  }

  /** The selected stack's reference text for this project and backend, if any. */
  async selectedStackName(): Promise<string | undefined> {
    if (!this.project) return undefined;
    const backend = await this.backend();
    return readSelectedStack(this.home, this.project.project.name, this.project.path, backend.url);
  }

  /** Selects `ref` (or clears the selection) for this project on this backend. */
  async selectStack(ref: StackRef | undefined): Promise<void> {
    const project = this.requireProject();
    const backend = await this.backend();
    await writeSelectedStack(this.home, project.project.name, project.path, backend.url, ref ? formatStackRef(ref) : undefined);
  }

  /** The selected stack, when it still exists. */
  async currentStack(): Promise<StackContext | undefined> {
    const selected = await this.selectedStackName();
    if (!selected) return undefined;
    const backend = await this.backend();
    const ref = backend.parseStackRef(selected, this.projectName);
    const summary = await backend.getStack(ref);
    return summary ? new StackContext(this, backend, ref, summary) : undefined;
  }

  /**
   * The stack a command operates on: `--stack` when given (must exist: "no stack named '…' found"),
   * else the selected one (else Pulumi's "no stack selected" error). `offerNew` picks the wording
   * Pulumi uses for commands that could have created one interactively.
   */
  async requireStack(name: string | undefined, options: { offerNew?: boolean; configFile?: string } = {}): Promise<StackContext> {
    const backend = await this.backend();
    if (name) {
      const ref = backend.parseStackRef(name, this.projectName);
      const summary = await backend.getStack(ref);
      if (!summary) throw new CliError(stackNotFoundMessage(name));
      return new StackContext(this, backend, ref, summary, options.configFile);
    }
    const current = await this.currentStack();
    if (current) {
      if (options.configFile) return new StackContext(this, backend, current.ref, current.summary, options.configFile);
      return current;
    }
    throw new CliError(options.offerNew ? NO_STACK_SELECTED_OFFER_NEW : NO_STACK_SELECTED);
  }
}

export class StackContext {
  constructor(
    readonly ctx: CommandContext,
    readonly backend: Backend,
    readonly ref: StackRef,
    readonly summary: StackSummary,
    /** `--config-file`: use this settings file instead of `Pulumi.<stack>.yaml`. */
    readonly configFile?: string,
  ) {}

  /** Pulumi's `s.Ref().String()`. */
  get displayName(): string {
    return this.ctx.displayName(this.ref, this.backend.kind);
  }

  get identity(): StackIdentity {
    return { organization: this.ref.organization, project: this.ref.project, stack: this.ref.name };
  }

  /** Where this stack's settings live (needs a project unless `--config-file` was given). */
  get settingsPath(): string {
    if (this.configFile) return resolve(this.ctx.cwd, this.configFile);
    return stackSettingsPath(this.ctx.requireProject(), this.ref.name);
  }

  loadSettings(): Promise<StackSettings> {
    return loadStackSettings(this.settingsPath, this.ctx.projectName);
  }

  /** Load → change → save of the settings file under its lock. */
  updateSettings<T>(change: (settings: StackSettings) => Promise<T> | T): Promise<T> {
    return updateStackSettings(this.settingsPath, this.ctx.projectName, change);
  }

  /**
   * The stack's secrets manager from `settings`, creating a passphrase salt (or recovering it from
   * the latest checkpoint) when the stack has none. Mutates `settings`; returns whether they
   * changed so the caller persists them (use inside updateSettings).
   */
  async secretsManagerFor(settings: StackSettings): Promise<{ manager: SecretsManager; changed: boolean }> {
    const { secretsManagerForStack, providerKindFromSettings } = await import("@stackyard/engine/secrets/index");
    const needsState = providerKindFromSettings(settings) === undefined;
    const stateProviders = needsState ? await this.latestSecretsProviders() : undefined;
    const backend = this.backend;
    const result = await secretsManagerForStack(settings, {
      env: this.ctx.env,
      cwd: this.ctx.cwd,
      defaultProvider: backend.kind === "service" ? "service" : "passphrase",
      ...(backend.serviceSecretsManager ? { service: () => backend.serviceSecretsManager!(this.ref) } : {}),
      ...(stateProviders ? { stateProviders } : {}),
    });
    const next: StackSecretsSettings = result.settings;
    for (const key of ["secretsprovider", "encryptionsalt", "encryptedkey"] as const) {
      if (next[key] === undefined) delete settings[key];
      else settings[key] = next[key];
    }
    return { manager: result.manager, changed: result.changed };
  }

  /** The stack's secrets manager, saving its settings if a salt had to be created. */
  async secretsManager(): Promise<SecretsManager> {
    // With a salt nothing needs writing; otherwise a salt may be created (or recovered), which
    // must be saved under the file's lock so parallel processes agree on one.
    const current = await this.loadSettings();
    if (current.encryptionsalt) return (await this.secretsManagerFor(current)).manager;
    return this.updateSettings(async (settings) => (await this.secretsManagerFor(settings)).manager);
  }

  /** The latest checkpoint's `secrets_providers`, if the stack has one. */
  async latestSecretsProviders(): Promise<{ type: string; state?: unknown } | undefined> {
    try {
      const exported = await this.backend.exportDeployment(this.ref);
      return exported.deployment?.secrets_providers;
    } catch {
      return undefined;
    }
  }

  /** The manager that reads this stack's state (its checkpoint's own provider), or the config one. */
  async stateSecretsManager(providers: { type: string; state?: unknown } | undefined): Promise<SecretsManager> {
    if (!providers) return this.secretsManager();
    const { secretsManagerFromState } = await import("@stackyard/engine/secrets/index");
    const backend = this.backend;
    // Service secrets in a checkpoint belong to the stack its provider names (another stack's, for
    // a stack reference or an imported state), not necessarily this one.
    const named = providers.state as { owner?: unknown; project?: unknown; stack?: unknown } | undefined;
    const owner: StackRef =
      typeof named?.owner === "string" && typeof named.project === "string" && typeof named.stack === "string"
        ? { organization: named.owner, project: named.project, name: named.stack }
        : this.ref;
    return secretsManagerFromState(providers, {
      env: this.ctx.env,
      cwd: this.ctx.cwd,
      ...(backend.serviceSecretsManager ? { service: () => backend.serviceSecretsManager!(owner) } : {}),
    });
  }

  /**
   * Everything an engine operation needs from config: the decrypted ConfigMap (project defaults
   * applied, required keys and types checked) and the secrets manager for state. The manager is
   * created (salt written) if the stack had none, as Pulumi does before an update.
   */
  async operationConfig(): Promise<{ config: ConfigMap; secrets: SecretsManager; settings: StackSettings }> {
    const project = this.ctx.requireProject();
    const secrets = await this.secretsManager();
    const settings = await this.loadSettings();
    const config = await buildEngineConfig(project.project, this.ref.name, settings.config, secrets);
    return { config, secrets, settings };
  }

  /**
   * The program's config when the stack's config holds no secrets, so that it is known before the
   * secrets manager unlocks; undefined otherwise, or when it is invalid (the operation reports why).
   */
  async plainOperationConfig(): Promise<ConfigMap | undefined> {
    try {
      const settings = await this.loadSettings();
      if (hasSecureValue(settings.config)) return undefined;
      return await buildEngineConfig(this.ctx.requireProject().project, this.ref.name, settings.config, undefined);
    } catch {
      return undefined;
    }
  }

  /** The config recorded with an update in history (stack settings as stored, ciphertext kept). */
  async historyConfig(): Promise<ReturnType<typeof historyConfig>> {
    return historyConfig((await this.loadSettings()).config);
  }

  /** §1.2: the local program to run (Pulumi.yaml `main` resolved; "project 'main' could not be read"). */
  async programSource(): Promise<ProgramSource> {
    const project = this.ctx.requireProject();
    const location = await resolveProgram(project.root, project.project.main);
    return { kind: "nodejs", ...location, runtimeOptions: project.project.runtime.options };
  }
}

/** What an engine operation (up/preview/refresh/destroy) needs, resolved in one call. */
export interface OperationInputs {
  ctx: CommandContext;
  stack: StackContext;
  identity: StackIdentity;
  /** Decrypted config for the program (project defaults applied, required keys and types checked). */
  config: ConfigMap;
  /** Encrypts/decrypts secrets in state; created (salt saved) if the stack had none. */
  secrets: SecretsManager;
  /** The local program; absent when `withProgram` is false. */
  program?: ProgramSource;
  /** The program's directory even when it does not run: plugins (the dynamic provider) load from there. */
  pluginDirectory?: string;
  /** UpdateMetadata.config for beginUpdate (stack config as stored). */
  historyConfig: ReturnType<typeof historyConfig>;
  /** Pulumi.yaml `options.refresh: always`. */
  refreshAlways: boolean;
}

/**
 * Resolves everything for an engine operation from a commander action:
 * `const op = await prepareOperation(cmd, { stack: opts.stack, configFile: opts.configFile });`
 */
export async function prepareOperation(
  cmd: Command,
  flags: { stack?: string; configFile?: string },
  options: { withProgram?: boolean; whileUnlocking?: (stack: StackContext) => void } = {},
): Promise<OperationInputs> {
  const ctx = await CommandContext.fromCommand(cmd, { requireProject: true });
  const stack = await ctx.requireStack(flags.stack, { offerNew: true, ...(flags.configFile ? { configFile: flags.configFile } : {}) });
  const configuring = stack.operationConfig();
  // Unlocking secrets (a passphrase key takes ~0.2 s to derive, off the main thread) leaves the
  // main thread free for whatever the caller needs next.
  options.whileUnlocking?.(stack);
  const { config, secrets, settings } = await configuring;
  const inputs: OperationInputs = {
    ctx,
    stack,
    identity: stack.identity,
    config,
    secrets,
    historyConfig: historyConfig(settings.config),
    refreshAlways: ctx.requireProject().project.refreshAlways,
  };
  if (options.withProgram !== false) {
    inputs.program = await stack.programSource();
    inputs.pluginDirectory = inputs.program.programDirectory;
  } else {
    // A missing or broken `main` must not stop a destroy or refresh that never runs the program.
    const source = await stack.programSource().catch(() => undefined);
    if (source) inputs.pluginDirectory = source.programDirectory;
  }
  return inputs;
}
