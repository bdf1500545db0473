/**
 * The `pulumirpc.Engine` service on a thread of its own. The Node SDK sends its log calls one at a
 * time, each waiting for the previous answer, and a program cannot exit until that chain drains;
 * answered from the busy main thread, the chain falls behind the registrations and the program
 * idles at the end. Here every log is answered at once; the ones the user sees (not debug) and the
 * root resource are forwarded to the main thread in the order they arrived.
 */
import { createRequire } from "node:module";
import { parentPort } from "node:worker_threads";
import * as grpc from "@grpc/grpc-js";
import { satisfiesPulumiRange } from "./version-range.js";
import { PULUMI_VERSION } from "../version.js";
import type { EngineServiceMessage, EngineServiceRequest } from "./engine-service.js";

// Only the stubs this service needs (rpc/proto.ts loads them all, which would slow the thread's start).
const require = createRequire(import.meta.url);
const enginePb: typeof import("@pulumi/pulumi/proto/engine_pb.js") = require("@pulumi/pulumi/proto/engine_pb.js");
const engineGrpc: typeof import("@pulumi/pulumi/proto/engine_grpc_pb.js") = require("@pulumi/pulumi/proto/engine_grpc_pb.js");
const emptyPb: typeof import("google-protobuf/google/protobuf/empty_pb.js") = require("google-protobuf/google/protobuf/empty_pb.js");

type Callback<T> = grpc.sendUnaryData<T>;
type Call<T> = grpc.ServerUnaryCall<T, unknown>;

const port = parentPort!;
const post = (message: EngineServiceMessage) => port.postMessage(message);
let root = "";

const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024, "grpc.enable_channelz": 0 });
server.addService(engineGrpc.EngineService, {
  log(call: Call<InstanceType<typeof enginePb.LogRequest>>, cb: Callback<InstanceType<typeof emptyPb.Empty>>) {
    const r = call.request;
    const severity = r.getSeverity();
    if (severity !== enginePb.LogSeverity.DEBUG) {
      post({ kind: "log", severity, message: r.getMessage(), urn: r.getUrn(), streamId: r.getStreamid(), ephemeral: r.getEphemeral() });
    }
    cb(null, new emptyPb.Empty());
  },
  getRootResource(_call: Call<unknown>, cb: Callback<InstanceType<typeof enginePb.GetRootResourceResponse>>) {
    cb(null, new enginePb.GetRootResourceResponse().setUrn(root));
  },
  setRootResource(call: Call<InstanceType<typeof enginePb.SetRootResourceRequest>>, cb: Callback<InstanceType<typeof enginePb.SetRootResourceResponse>>) {
    root = call.request.getUrn();
    post({ kind: "root", urn: root });
    cb(null, new enginePb.SetRootResourceResponse());
  },
  requirePulumiVersion(call: Call<InstanceType<typeof enginePb.RequirePulumiVersionRequest>>, cb: Callback<InstanceType<typeof enginePb.RequirePulumiVersionResponse>>) {
    const range = call.request.getPulumiVersionRange();
    if (satisfiesPulumiRange(PULUMI_VERSION, range)) cb(null, new enginePb.RequirePulumiVersionResponse());
    else cb({ code: grpc.status.UNKNOWN, details: `Pulumi CLI version ${PULUMI_VERSION} does not satisfy the version range "${range}"` });
  },
});

port.on("message", (request: EngineServiceRequest) => {
  // Messages to the main thread keep their order, so this answer follows every log posted before it.
  if (request.kind === "flush") post({ kind: "flushed", id: request.id });
  else if (request.kind === "close") {
    server.tryShutdown(() => port.close());
    setTimeout(() => server.forceShutdown(), 2000).unref();
  }
});

server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => {
  if (err) post({ kind: "failed", message: err.message });
  else post({ kind: "ready", address: `127.0.0.1:${p}` });
});
