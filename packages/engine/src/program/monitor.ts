/**
 * The gRPC face the program sees: `pulumirpc.ResourceMonitor` and `pulumirpc.Engine`. This module
 * only translates between protobuf and plain data; every decision is the handler's.
 */
import * as grpc from "@grpc/grpc-js";
import { emptyPb, enginePb, engineGrpc, fromStruct, providerPb, resourceGrpc, resourcePb, toStruct, type PropertyObject } from "../rpc/proto.js";
import { decodeRegistration, type RegistrationGoal } from "./registration.js";
import { unmetPulumiVersion } from "./version-range.js";

export interface RegistrationResult {
  urn: string;
  id: string;
  outputs: PropertyObject;
  propertyDependencies?: Record<string, string[]>;
  /** Outputs should resolve as unknown (e.g. a create skipped by --target). */
  unknown?: boolean;
  failed?: boolean;
}

export interface ReadGoal {
  id: string;
  type: string;
  name: string;
  parent: string;
  properties: PropertyObject;
  dependencies: string[];
  provider: string;
  version: string;
  additionalSecretOutputs: string[];
}

export interface InvokeGoal {
  tok: string;
  args: PropertyObject;
  provider: string;
  version: string;
  pluginDownloadURL: string;
}

export type LogSeverity = "debug" | "info" | "warning" | "error";

export interface MonitorHandler {
  registerResource(goal: RegistrationGoal): Promise<RegistrationResult>;
  registerResourceOutputs(urn: string, outputs: PropertyObject): Promise<void>;
  readResource(goal: ReadGoal): Promise<{ urn: string; properties: PropertyObject }>;
  invoke(goal: InvokeGoal): Promise<{ result: PropertyObject; failures: { property: string; reason: string }[] }>;
  call(req: InstanceType<typeof resourcePb.ResourceCallRequest>): Promise<InstanceType<typeof providerPb.CallResponse>>;
  log(severity: LogSeverity, message: string, urn: string, streamId: number, ephemeral: boolean): void;
  /** The program says it will register nothing more; resolve once the deployment's remaining work is done. */
  signalAndWaitForShutdown(): Promise<void>;
  setRootResource(urn: string): void;
  getRootResource(): string;
  deploymentInfo(): { project: string; stack: string; organization: string; config: Record<string, string>; configSecretKeys: string[]; dryRun: boolean; parallel: number };
}

/** Features this engine really implements; programs change what they send based on these. */
export const SUPPORTED_FEATURES: ReadonlyMap<string, number> = new Map([
  ["secrets", resourcePb.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_SECRETS],
  ["resourceReferences", resourcePb.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES],
  ["outputValues", resourcePb.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_OUTPUT_VALUES],
  ["aliasSpecs", resourcePb.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_ALIAS_SPECS],
  ["deletedWith", resourcePb.ResourceMonitorFeature.RESOURCE_MONITOR_FEATURE_DELETED_WITH],
]);

const SEVERITIES: LogSeverity[] = ["debug", "info", "warning", "error"];

type Callback<T> = grpc.sendUnaryData<T>;
type Call<T> = grpc.ServerUnaryCall<T, unknown>;

/** Runs `fn` and maps its outcome onto the gRPC callback; thrown errors become UNKNOWN with the message. */
function respond<T>(callback: Callback<T>, fn: () => Promise<T> | T): void {
  Promise.resolve()
    .then(fn)
    .then(
      (value) => callback(null, value),
      (err: unknown) => {
        const e = err as { code?: number; message?: string };
        if (process.env["STACKYARD_DEBUG"]) console.error(err);
        callback({ code: typeof e?.code === "number" ? e.code : grpc.status.UNKNOWN, details: e?.message ?? String(err) });
      },
    );
}

export interface MonitorServer {
  address: string;
  close(): Promise<void>;
}

/**
 * `handler` may still be pending: a program launched before its operation could begin (lock taken,
 * secrets unlocked) waits on every call, the feature query included, and the SDK runs no user code
 * until that query is answered.
 */
export async function startMonitor(handler: MonitorHandler | Promise<MonitorHandler>): Promise<MonitorServer> {
  const ready = Promise.resolve(handler);
  const server = new grpc.Server({
    "grpc.max_receive_message_length": 400 * 1024 * 1024,
    "grpc.max_send_message_length": 400 * 1024 * 1024,
    "grpc.enable_channelz": 0,
  });
  let shutdownSignalled = false;

  server.addService(resourceGrpc.ResourceMonitorService, {
    getDeploymentInfo(_call: Call<unknown>, cb: Callback<InstanceType<typeof resourcePb.DeploymentInfo>>) {
      respond(cb, async () => {
        const info = (await ready).deploymentInfo();
        const res = new resourcePb.DeploymentInfo();
        res.setProject(info.project).setStack(info.stack).setOrganization(info.organization);
        res.setDryrun(info.dryRun).setParallel(info.parallel).setConfigsecretkeysList(info.configSecretKeys);
        const config = res.getConfigMap();
        for (const [k, v] of Object.entries(info.config)) config.set(k, v);
        res.setSupportedfeaturesList([...SUPPORTED_FEATURES.values()]);
        return res;
      });
    },
    supportsFeature(call: Call<InstanceType<typeof resourcePb.SupportsFeatureRequest>>, cb: Callback<InstanceType<typeof resourcePb.SupportsFeatureResponse>>) {
      respond(cb, async () => {
        await ready;
        return new resourcePb.SupportsFeatureResponse().setHassupport(SUPPORTED_FEATURES.has(call.request.getId()));
      });
    },
    registerResource(call: Call<InstanceType<typeof resourcePb.RegisterResourceRequest>>, cb: Callback<InstanceType<typeof resourcePb.RegisterResourceResponse>>) {
      respond(cb, async () => {
        const goal = decodeRegistration(call.request);
        const result = await (await ready).registerResource(goal);
        const res = new resourcePb.RegisterResourceResponse();
        res.setUrn(result.urn).setId(result.id).setObject(toStruct(result.outputs));
        if (result.unknown) res.setUnknown(true);
        if (result.failed) res.setResult(resourcePb.Result.FAIL);
        if (result.propertyDependencies) {
          const map = res.getPropertydependenciesMap();
          for (const [k, urns] of Object.entries(result.propertyDependencies)) {
            map.set(k, new resourcePb.RegisterResourceResponse.PropertyDependencies().setUrnsList(urns));
          }
        }
        return res;
      });
    },
    registerResourceOutputs(call: Call<InstanceType<typeof resourcePb.RegisterResourceOutputsRequest>>, cb: Callback<InstanceType<typeof emptyPb.Empty>>) {
      respond(cb, async () => {
        await (await ready).registerResourceOutputs(call.request.getUrn(), fromStruct(call.request.getOutputs()));
        return new emptyPb.Empty();
      });
    },
    readResource(call: Call<InstanceType<typeof resourcePb.ReadResourceRequest>>, cb: Callback<InstanceType<typeof resourcePb.ReadResourceResponse>>) {
      respond(cb, async () => {
        const r = call.request;
        const result = await (await ready).readResource({
          id: r.getId(),
          type: r.getType(),
          name: r.getName(),
          parent: r.getParent(),
          properties: fromStruct(r.getProperties()),
          dependencies: r.getDependenciesList(),
          provider: r.getProvider(),
          version: r.getVersion(),
          additionalSecretOutputs: r.getAdditionalsecretoutputsList(),
        });
        return new resourcePb.ReadResourceResponse().setUrn(result.urn).setProperties(toStruct(result.properties));
      });
    },
    invoke(call: Call<InstanceType<typeof resourcePb.ResourceInvokeRequest>>, cb: Callback<InstanceType<typeof resourcePb.ResourceInvokeResponse>>) {
      respond(cb, async () => {
        const r = call.request;
        const result = await (await ready).invoke({
          tok: r.getTok(),
          args: fromStruct(r.getArgs()),
          provider: r.getProvider(),
          version: r.getVersion(),
          pluginDownloadURL: r.getPlugindownloadurl(),
        });
        const res = new resourcePb.ResourceInvokeResponse().setReturn(toStruct(result.result));
        res.setFailuresList(
          result.failures.map((f) => {
            const failure = new providerPb.CheckFailure();
            failure.setProperty(f.property).setReason(f.reason);
            return failure;
          }),
        );
        return res;
      });
    },
    call(call: Call<InstanceType<typeof resourcePb.ResourceCallRequest>>, cb: Callback<InstanceType<typeof providerPb.CallResponse>>) {
      respond(cb, async () => (await ready).call(call.request));
    },
    signalAndWaitForShutdown(_call: Call<unknown>, cb: Callback<InstanceType<typeof emptyPb.Empty>>) {
      respond(cb, async () => {
        if (shutdownSignalled) throw new Error("SignalAndWaitForShutdown was already called");
        shutdownSignalled = true;
        await (await ready).signalAndWaitForShutdown();
        return new emptyPb.Empty();
      });
    },
  });

  server.addService(engineGrpc.EngineService, {
    log(call: Call<InstanceType<typeof enginePb.LogRequest>>, cb: Callback<InstanceType<typeof emptyPb.Empty>>) {
      respond(cb, async () => {
        const r = call.request;
        (await ready).log(SEVERITIES[r.getSeverity()] ?? "info", r.getMessage(), r.getUrn(), r.getStreamid(), r.getEphemeral());
        return new emptyPb.Empty();
      });
    },
    getRootResource(_call: Call<unknown>, cb: Callback<InstanceType<typeof enginePb.GetRootResourceResponse>>) {
      respond(cb, async () => new enginePb.GetRootResourceResponse().setUrn((await ready).getRootResource()));
    },
    setRootResource(call: Call<InstanceType<typeof enginePb.SetRootResourceRequest>>, cb: Callback<InstanceType<typeof enginePb.SetRootResourceResponse>>) {
      respond(cb, async () => {
        (await ready).setRootResource(call.request.getUrn());
        return new enginePb.SetRootResourceResponse();
      });
    },
    requirePulumiVersion(call: Call<InstanceType<typeof enginePb.RequirePulumiVersionRequest>>, cb: Callback<InstanceType<typeof enginePb.RequirePulumiVersionResponse>>) {
      respond(cb, () => {
        const range = call.request.getPulumiVersionRange();
        const unmet = unmetPulumiVersion(range);
        if (unmet) throw new Error(unmet);
        return new enginePb.RequirePulumiVersionResponse();
      });
    },
  });

  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        // Programs may keep streams open; do not wait on them forever.
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000).unref();
      }),
  };
}
