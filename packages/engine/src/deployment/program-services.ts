/**
 * What a program talks to during an operation: the resource monitor, the Engine service and the
 * provider plugins. They can start before the operation can begin (see prelaunch.ts); nothing is
 * answered until the operation attaches its deployment.
 */
import type { ConfigMap, OperationRequest, ProgramSource, StackIdentity } from "../api.js";
import { startMonitor, type MonitorHandler, type MonitorServer } from "../program/monitor.js";
import { sameThreadEngineService, startEngineService, type EngineService } from "../program/engine-service.cjs";
import { ProviderRegistry } from "../providers/registry.js";
import type { BuiltinHost } from "../providers/builtin.js";
import { requiredPlugins, type RequiredPlugin } from "../providers/required-plugins.js";

export interface ServicesSpec {
  identity: StackIdentity;
  /** Provider config (each plugin sees its own package's keys). */
  config: ConfigMap;
  /** Where plugins are found besides PULUMI_HOME: the program's directory. */
  pluginDirectory: string;
  pulumiHome: string;
  /** A Node.js program whose declared provider plugins start now, while it boots. */
  program?: ProgramSource;
}

/** What the services need from the operation, once it has begun. */
export interface ServicesBinding {
  handler: MonitorHandler;
  getResource: BuiltinHost["getResource"];
  readStackOutputs?: BuiltinHost["readStackOutputs"];
  onPluginOutput(pkg: string, line: string, stream: "stdout" | "stderr"): void;
}

/** What an operation's services need: a Node.js program is named only when the operation runs it. */
export function servicesSpec(request: Pick<OperationRequest, "identity" | "config" | "pulumiHome" | "kind" | "program" | "pluginDirectory">): ServicesSpec {
  const runsProgram = request.kind === "update" || request.kind === "preview";
  return {
    identity: request.identity,
    config: request.config,
    pluginDirectory: request.program?.programDirectory ?? request.pluginDirectory ?? process.cwd(),
    pulumiHome: request.pulumiHome,
    ...(runsProgram && request.program ? { program: request.program } : {}),
  };
}

export interface ProgramServices {
  readonly monitorAddress: string;
  readonly engineService: EngineService;
  readonly registry: ProviderRegistry;
  /** The provider plugins the program's package.json declares (none without a Node.js program). */
  readonly requiredPlugins: Promise<RequiredPlugin[]>;
  /** Starts answering: every call held so far goes to `binding.handler`. */
  attach(binding: ServicesBinding): void;
  /** Stops answering: held calls fail, plugins stop, the servers close. */
  abandon(reason: string): Promise<void>;
  /** Closes the servers once the operation has closed the registry. */
  close(): Promise<void>;
}

export async function startProgramServices(spec: ServicesSpec): Promise<ProgramServices> {
  let binding: ServicesBinding | undefined;
  let held: Parameters<ServicesBinding["onPluginOutput"]>[] = [];
  let bind!: (handler: MonitorHandler) => void;
  let refuse!: (err: Error) => void;
  const handler = new Promise<MonitorHandler>((resolve, reject) => {
    bind = resolve;
    refuse = reject;
  });
  handler.catch(() => undefined);

  // The Engine service thread boots (a prebooted one may be ready already) while the monitor starts.
  const engineStarting = startEngineService();
  let monitor: MonitorServer;
  try {
    monitor = await startMonitor(handler);
  } catch (err) {
    await (await engineStarting)?.close();
    throw err;
  }
  const engineService = (await engineStarting) ?? sameThreadEngineService(monitor.address);
  const registry = new ProviderRegistry({
    search: { programDirectory: spec.pluginDirectory, pulumiHome: spec.pulumiHome },
    engineAddress: engineService.address,
    identity: spec.identity,
    config: spec.config,
    builtinHost: {
      get readStackOutputs() {
        return binding?.readStackOutputs;
      },
      getResource: (urn) => binding?.getResource(urn),
    },
    onPluginOutput: (...line) => {
      if (binding) binding.onPluginOutput(...line);
      else held.push(line);
    },
  });

  // Pulumi's engine loads the plugins a program needs up front: the default provider of each
  // provider SDK the program depends on (the language host's required plugins).
  const program = spec.program;
  const required = program?.kind === "nodejs" ? requiredPlugins(program.programDirectory) : Promise.resolve([]);
  void required.then(
    (plugins) => {
      for (const p of plugins) registry.prestartOnce(p.name, p.version);
    },
    () => undefined,
  );

  const close = () => Promise.all([monitor.close(), engineService.close()]).then(() => undefined);
  return {
    monitorAddress: monitor.address,
    engineService,
    registry,
    requiredPlugins: required,
    attach(b) {
      binding = b;
      for (const line of held) b.onPluginOutput(...line);
      held = [];
      engineService.attach(b.handler);
      bind(b.handler);
    },
    async abandon(reason) {
      refuse(new Error(reason));
      await registry.close();
      await close();
    },
    close,
  };
}
