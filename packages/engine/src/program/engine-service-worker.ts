/**
 * The `pulumirpc.Engine` service on a thread of its own. The Node SDK sends its log calls one at a
 * time, each waiting for the previous answer, and a program cannot exit until that chain drains;
 * answered from the busy main thread, the chain falls behind the registrations and the program
 * idles at the end. Here every log is answered at once; the ones the user sees (not debug) and the
 * root resource are forwarded to the main thread in the order they arrived.
 */
import { createRequire } from "node:module";
import { parentPort } from "node:worker_threads";
import { GrpcStatus } from "../rpc/grpc-status.js";
import { startDirectUnaryServer } from "../rpc/direct-unary-server.js";
import { UnaryCallError, type UnaryMethod } from "../rpc/unary-call.js";
import { DEBUG_SEVERITY, logSeverity } from "./log-severity.js";
import type { EngineServiceMessage, EngineServiceRequest } from "./engine-service.cjs";

type EnginePb = typeof import("@pulumi/pulumi/proto/engine_pb.js");
type VersionRange = typeof import("./version-range.js");

// The program starts only once this thread is listening (it is given the address), and makes its
// first call hundreds of milliseconds later: the generated messages and semver load in between.
// Only the messages this service needs: rpc/proto.ts loads them all.
const require = createRequire(import.meta.url);
let enginePbLoaded: EnginePb | undefined;
const enginePb = (): EnginePb => (enginePbLoaded ??= require("@pulumi/pulumi/proto/engine_pb.js") as EnginePb);
let versionRange: Promise<VersionRange> | undefined;
const loadVersionRange = () => (versionRange ??= import("./version-range.js"));

const port = parentPort!;
const post = (message: EngineServiceMessage) => port.postMessage(message);
let root = "";

const EMPTY = new Uint8Array(0);
const methods = new Map<string, UnaryMethod>([
  [
    "/pulumirpc.Engine/Log",
    (bytes) => {
      // Most logs are debug logs, answered without decoding them (see log-severity.ts).
      if (logSeverity(bytes) === DEBUG_SEVERITY) return EMPTY;
      const r = enginePb().LogRequest.deserializeBinary(bytes);
      const severity = r.getSeverity();
      if (severity !== DEBUG_SEVERITY) {
        post({ kind: "log", severity, message: r.getMessage(), urn: r.getUrn(), streamId: r.getStreamid(), ephemeral: r.getEphemeral() });
      }
      return EMPTY;
    },
  ],
  ["/pulumirpc.Engine/GetRootResource", () => new (enginePb().GetRootResourceResponse)().setUrn(root).serializeBinary()],
  [
    "/pulumirpc.Engine/SetRootResource",
    (bytes) => {
      root = enginePb().SetRootResourceRequest.deserializeBinary(bytes).getUrn();
      post({ kind: "root", urn: root });
      return EMPTY;
    },
  ],
  [
    "/pulumirpc.Engine/RequirePulumiVersion",
    async (bytes) => {
      const range = enginePb().RequirePulumiVersionRequest.deserializeBinary(bytes).getPulumiVersionRange();
      const unmet = (await loadVersionRange()).unmetPulumiVersion(range);
      if (unmet) throw new UnaryCallError(GrpcStatus.UNKNOWN, unmet);
      return EMPTY;
    },
  ],
]);

startDirectUnaryServer(methods, { maxMessageBytes: 400 * 1024 * 1024 }).then(
  (server) => {
    port.on("message", (request: EngineServiceRequest) => {
      // Messages to the main thread keep their order, so this answer follows every log posted before it.
      if (request.kind === "flush") post({ kind: "flushed", id: request.id });
      else if (request.kind === "close") void server.close(2000).then(() => port.close());
    });
    post({ kind: "ready", address: server.address });
    setImmediate(() => {
      enginePb();
      void loadVersionRange();
    });
  },
  (err: unknown) => post({ kind: "failed", message: err instanceof Error ? err.message : String(err) }),
);
