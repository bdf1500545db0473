// The floor: a ResourceMonitor + Engine gRPC server that answers every call at once and does
// nothing else (no planning, no providers, no state). Registrations echo their inputs as outputs,
// so a program whose resources depend on each other's outputs runs exactly as it would for real.
// Built from @grpc/grpc-js and the generated stubs that ship in @pulumi/pulumi/proto.
import { createRequire } from "node:module";
import { join } from "node:path";

export function loadStubs(nodeModules) {
  const require = createRequire(join(nodeModules, "__bench__.js"));
  return {
    grpc: require("@grpc/grpc-js"),
    resourcePb: require("@pulumi/pulumi/proto/resource_pb.js"),
    resourceGrpc: require("@pulumi/pulumi/proto/resource_grpc_pb.js"),
    enginePb: require("@pulumi/pulumi/proto/engine_pb.js"),
    engineGrpc: require("@pulumi/pulumi/proto/engine_grpc_pb.js"),
    emptyPb: require("google-protobuf/google/protobuf/empty_pb.js"),
  };
}

/**
 * Starts the trivial monitor on loopback. `features`: the feature ids to claim, which should be the
 * engine's own so the SDK takes the same code paths against both.
 */
export async function startFloorMonitor({ nodeModules, project, stack, features, dryRun, parallel }) {
  const { grpc, resourcePb, resourceGrpc, enginePb, engineGrpc, emptyPb } = loadStubs(nodeModules);
  const supported = new Set(features);
  let root = "";
  let registrations = 0;
  let logs = 0;
  const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
  const empty = (_call, cb) => cb(null, new emptyPb.Empty());
  server.addService(resourceGrpc.ResourceMonitorService, {
    supportsFeature: (call, cb) => cb(null, new resourcePb.SupportsFeatureResponse().setHassupport(supported.has(call.request.getId()))),
    getDeploymentInfo: (_call, cb) => {
      const info = new resourcePb.DeploymentInfo().setProject(project).setStack(stack).setOrganization("organization");
      cb(null, info.setDryrun(dryRun).setParallel(parallel));
    },
    registerResource: (call, cb) => {
      registrations++;
      const r = call.request;
      const res = new resourcePb.RegisterResourceResponse();
      res.setUrn(`urn:pulumi:${stack}::${project}::${r.getType()}::${r.getName()}`);
      res.setId(r.getCustom() ? `id-${r.getName()}` : "");
      const inputs = r.getObject();
      if (inputs) res.setObject(inputs);
      cb(null, res);
    },
    registerResourceOutputs: empty,
    readResource: (_call, cb) => cb({ code: grpc.status.UNIMPLEMENTED, details: "floor monitor: no reads" }),
    invoke: (_call, cb) => cb({ code: grpc.status.UNIMPLEMENTED, details: "floor monitor: no invokes" }),
    call: (_call, cb) => cb({ code: grpc.status.UNIMPLEMENTED, details: "floor monitor: no calls" }),
    signalAndWaitForShutdown: empty,
  });
  server.addService(engineGrpc.EngineService, {
    log: (call, cb) => {
      logs++;
      empty(call, cb);
    },
    getRootResource: (_call, cb) => cb(null, new enginePb.GetRootResourceResponse().setUrn(root)),
    setRootResource: (call, cb) => {
      root = call.request.getUrn();
      cb(null, new enginePb.SetRootResourceResponse());
    },
    requirePulumiVersion: (_call, cb) => cb(null, new enginePb.RequirePulumiVersionResponse()),
  });
  const port = await new Promise((res, rej) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
  return {
    address: `127.0.0.1:${port}`,
    registrations: () => registrations,
    logs: () => logs,
    close: () => new Promise((res) => server.tryShutdown(() => res())),
  };
}
