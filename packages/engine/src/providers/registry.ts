/**
 * Live provider instances for one deployment, keyed by provider reference (`urn::id`). Plugin
 * processes are started on demand and stopped when the deployment ends.
 */
import { ProviderClient } from "./provider-client.js";
import type { Provider } from "./provider.js";
import { BuiltinProvider, type BuiltinHost } from "./builtin.js";
import { findProviderPlugin, type PluginSearch } from "./discovery.js";
import { startPlugin, type RunningPlugin } from "./plugin-process.js";
import type { ConfigMap, StackIdentity } from "../api.js";
import { unwrapSecrets, type PropertyObject } from "../properties/values.js";

export interface RegistryOptions {
  search: PluginSearch;
  engineAddress: string;
  identity: StackIdentity;
  config: ConfigMap;
  builtinHost: BuiltinHost;
  onPluginOutput(pkg: string, line: string, stream: "stdout" | "stderr"): void;
}

/** The config a provider process sees in PULUMI_CONFIG: its own package's keys, namespace stripped. */
export function packageConfig(config: ConfigMap, pkg: string): Record<string, string> {
  const out: Record<string, string> = {};
  const prefix = `${pkg}:`;
  for (const [key, entry] of Object.entries(config)) if (key.startsWith(prefix)) out[key.slice(prefix.length)] = entry.value;
  return out;
}

/** The deprecated `variables` map of Configure: `<pkg>:config:<key>` → string. */
export function configureVariables(pkg: string, args: PropertyObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, raw] of Object.entries(args)) {
    if (key === "version" || key === "__internal" || raw === undefined) continue;
    const value = unwrapSecrets(raw);
    out[`${pkg}:config:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return out;
}

function instanceKey(pkg: string, version: string | undefined): string {
  return `${pkg}\u0000${version ?? ""}`;
}

export class ProviderRegistry {
  private readonly byRef = new Map<string, Promise<Provider>>();
  private readonly processes: RunningPlugin[] = [];
  private readonly clients: ProviderClient[] = [];
  /** Instances started ahead of need (see `prestart`), by package and version. */
  private readonly warm = new Map<string, Promise<Provider>[]>();
  private readonly starting = new Set<Promise<Provider>>();
  /** Package and version of every instance started so far (see `prestartOnce`). */
  private readonly startedKeys = new Set<string>();
  private closed = false;

  constructor(private readonly options: RegistryOptions) {}

  /**
   * Starts an instance now so that a later `load` of the same package and version finds it ready:
   * plugin start-up (a Node provider takes a good fraction of a second) then overlaps the
   * program's own start instead of delaying its first resource. Failures surface at that `load`.
   */
  prestart(pkg: string, version: string | undefined): void {
    if (pkg === "pulumi" || this.closed) return;
    const key = instanceKey(pkg, version);
    const started = this.start(pkg, version);
    started.catch(() => {});
    const list = this.warm.get(key);
    if (list) list.push(started);
    else this.warm.set(key, [started]);
  }

  /** `prestart`, unless an instance of this package and version was already started (warm or loaded). */
  prestartOnce(pkg: string, version: string | undefined): void {
    if (!this.startedKeys.has(instanceKey(pkg, version))) this.prestart(pkg, version);
  }

  /**
   * One warm instance per entry (a provider resource of the old state, say), counting the instances
   * of the same package and version already warm (the program's required plugins) among them.
   */
  prestartEach(instances: { pkg: string; version: string | undefined }[]): void {
    const wanted = new Map<string, { pkg: string; version: string | undefined; count: number }>();
    for (const { pkg, version } of instances) {
      const key = instanceKey(pkg, version);
      const entry = wanted.get(key) ?? { pkg, version, count: 0 };
      entry.count++;
      wanted.set(key, entry);
    }
    for (const [key, { pkg, version, count }] of wanted) {
      for (let warm = this.warm.get(key)?.length ?? 0; warm < count; warm++) this.prestart(pkg, version);
    }
  }

  /** A fresh, unconfigured instance of a package's provider. */
  load(pkg: string, version: string | undefined): Promise<Provider> {
    const prestarted = this.warm.get(instanceKey(pkg, version))?.shift();
    return prestarted ?? this.start(pkg, version);
  }

  /** Every start is tracked so that `close` can wait for one still under way and stop it too. */
  private start(pkg: string, version: string | undefined): Promise<Provider> {
    this.startedKeys.add(instanceKey(pkg, version));
    const started = this.startInstance(pkg, version);
    this.starting.add(started);
    void started.catch(() => {}).finally(() => this.starting.delete(started));
    return started;
  }

  private async startInstance(pkg: string, version: string | undefined): Promise<Provider> {
    if (pkg === "pulumi") return new BuiltinProvider(this.options.builtinHost);
    const { identity, config, search } = this.options;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PULUMI_PROJECT: identity.project,
      PULUMI_CONFIG: JSON.stringify(packageConfig(config, pkg)),
    };
    if (pkg === "pulumi-nodejs") {
      env["PULUMI_NODEJS_PROJECT"] = identity.project;
      env["PULUMI_NODEJS_STACK"] = identity.stack;
      env["PULUMI_NODEJS_ORGANIZATION"] = identity.organization;
    }
    const command = findProviderPlugin(pkg, version || undefined, this.options.engineAddress, search, env);
    const plugin = await startPlugin(command, (line, stream) => this.options.onPluginOutput(pkg, line, stream));
    this.processes.push(plugin);
    const client = new ProviderClient(pkg, `127.0.0.1:${plugin.port}`);
    this.clients.push(client);
    await client.waitForReady();
    return client;
  }

  /** Makes a configured instance reachable by its reference. */
  register(ref: string, provider: Promise<Provider>): void {
    this.byRef.set(ref, provider);
    // A failed load is reported where it is awaited; do not also crash the process on it.
    provider.catch(() => {});
  }

  has(ref: string): boolean {
    return this.byRef.has(ref);
  }

  get(ref: string): Promise<Provider> | undefined {
    return this.byRef.get(ref);
  }

  /** Loads and configures a provider as recorded in state (deletes and refreshes of old resources). */
  fromState(ref: string, pkg: string, inputs: PropertyObject, identity: { urn: string; name: string; type: string; id: string }): Promise<Provider> {
    let existing = this.byRef.get(ref);
    if (!existing) {
      existing = (async () => {
        const version = typeof inputs["version"] === "string" ? inputs["version"] : undefined;
        const provider = await this.load(pkg, version);
        await provider.configure(inputs, configureVariables(pkg, inputs), identity);
        return provider;
      })();
      this.register(ref, existing);
    }
    return existing;
  }

  async cancelAll(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.cancel()));
  }

  async close(): Promise<void> {
    this.closed = true;
    // A plugin still starting (prestarted and never needed, say) would outlive the operation.
    await Promise.allSettled([...this.starting]);
    for (const client of this.clients) client.close();
    for (const plugin of this.processes) plugin.kill();
    await Promise.all(this.processes.map((p) => p.exited));
  }
}
