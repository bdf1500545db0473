/**
 * The gRPC face the program sees: `pulumirpc.ResourceMonitor` and `pulumirpc.Engine`. This module
 * only translates between protobuf and plain data; every decision is the handler's.
 */
import { GrpcStatus } from "../rpc/grpc-status.js";
import { emptyPb, enginePb, fromStruct, providerPb, resourcePb, toStruct, type Message, type MessageClass, type PropertyObject } from "../rpc/proto.js";
import { UnaryCallError, type UnaryMethod } from "../rpc/unary-call.js";
import { startUnaryServer } from "../rpc/unary-server.js";
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

/**
 * One method: decodes the request, runs `fn`, encodes its answer. A thrown error keeps its numeric
 * gRPC `code` (a provider's, passed through) and otherwise answers UNKNOWN, with its message.
 */
function method<Req>(requestType: MessageClass<Req>, fn: (request: Req) => Promise<Message> | Message): UnaryMethod {
  return async (bytes) => {
    try {
      return (await fn(requestType.deserializeBinary(bytes))).serializeBinary();
    } catch (err) {
      if (process.env["STACKYARD_DEBUG"]) console.error(err);
      const e = err as { code?: unknown; message?: string } | undefined;
      throw new UnaryCallError(typeof e?.code === "number" ? e.code : GrpcStatus.UNKNOWN, e?.message ?? String(err));
    }
  };
}

export interface MonitorServer {
  address: string;
  close(): Promise<void>;
}

const MONITOR = "/pulumirpc.ResourceMonitor/";
const ENGINE = "/pulumirpc.Engine/";

/**
 * `handler` may still be pending: a program launched before its operation could begin (lock taken,
 * secrets unlocked) waits on every call, the feature query included, and the SDK runs no user code
 * until that query is answered.
 *
 * Served on Node's HTTP/2 server (rpc/unary-server.ts) rather than grpc-js: every registration is
 * a call, and grpc-js's server costs ~60% more CPU per call, taken from the program on a shared
 * machine. Every ResourceMonitor method is unary.
 */
export async function startMonitor(handler: MonitorHandler | Promise<MonitorHandler>): Promise<MonitorServer> {
  const ready = Promise.resolve(handler);
  let shutdownSignalled = false;

  const methods = new Map<string, UnaryMethod>([
    [
      MONITOR + "GetDeploymentInfo",
      method(emptyPb.Empty, async () => {
        const info = (await ready).deploymentInfo();
        const res = new resourcePb.DeploymentInfo();
        res.setProject(info.project).setStack(info.stack).setOrganization(info.organization);
        res.setDryrun(info.dryRun).setParallel(info.parallel).setConfigsecretkeysList(info.configSecretKeys);
        const config = res.getConfigMap();
        for (const [k, v] of Object.entries(info.config)) config.set(k, v);
        res.setSupportedfeaturesList([...SUPPORTED_FEATURES.values()]);
        return res;
      }),
    ],
    [
      MONITOR + "SupportsFeature",
      method(resourcePb.SupportsFeatureRequest, async (request) => {
        await ready;
        return new resourcePb.SupportsFeatureResponse().setHassupport(SUPPORTED_FEATURES.has(request.getId()));
      }),
    ],
    [
      MONITOR + "RegisterResource",
      method(resourcePb.RegisterResourceRequest, async (request) => {
        const goal = decodeRegistration(request);
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
      }),
    ],
    [
      MONITOR + "RegisterResourceOutputs",
      method(resourcePb.RegisterResourceOutputsRequest, async (request) => {
        await (await ready).registerResourceOutputs(request.getUrn(), fromStruct(request.getOutputs()));
        return new emptyPb.Empty();
      }),
    ],
    [
      MONITOR + "ReadResource",
      method(resourcePb.ReadResourceRequest, async (r) => {
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
      }),
    ],
    [
      MONITOR + "Invoke",
      method(resourcePb.ResourceInvokeRequest, async (r) => {
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
      }),
    ],
    [MONITOR + "Call", method(resourcePb.ResourceCallRequest, async (request) => (await ready).call(request))],
    [
      MONITOR + "SignalAndWaitForShutdown",
      method(emptyPb.Empty, async () => {
        if (shutdownSignalled) throw new Error("SignalAndWaitForShutdown was already called");
        shutdownSignalled = true;
        await (await ready).signalAndWaitForShutdown();
        return new emptyPb.Empty();
      }),
    ],
    // The Engine service, for when its own thread cannot start (engine-service.cts).
    [
      ENGINE + "Log",
      method(enginePb.LogRequest, async (r) => {
        (await ready).log(SEVERITIES[r.getSeverity()] ?? "info", r.getMessage(), r.getUrn(), r.getStreamid(), r.getEphemeral());
        return new emptyPb.Empty();
      }),
    ],
    [ENGINE + "GetRootResource", method(enginePb.GetRootResourceRequest, async () => new enginePb.GetRootResourceResponse().setUrn((await ready).getRootResource()))],
    [
      ENGINE + "SetRootResource",
      method(enginePb.SetRootResourceRequest, async (request) => {
        (await ready).setRootResource(request.getUrn());
        return new enginePb.SetRootResourceResponse();
      }),
    ],
    [
      ENGINE + "RequirePulumiVersion",
      method(enginePb.RequirePulumiVersionRequest, (request) => {
        const unmet = unmetPulumiVersion(request.getPulumiVersionRange());
        if (unmet) throw new Error(unmet);
        return new enginePb.RequirePulumiVersionResponse();
      }),
    ],
  ]);

  const server = await startUnaryServer(methods, { maxMessageBytes: 400 * 1024 * 1024 });
  return {
    address: server.address,
    // Programs may keep connections open; do not wait on them forever.
    close: () => server.close(2000),
  };
}
