import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { connect } from "node:http2";
import * as grpc from "@grpc/grpc-js";
import { GrpcStatus } from "./grpc-status.js";
import { startDirectUnaryServer } from "./direct-unary-server.js";
import { UnaryCallError, type UnaryMethod, type UnaryServer, type UnaryServerOptions } from "./unary-call.js";
import { startUnaryServer } from "./unary-server.js";
import { percentEncode } from "./wire.js";

// The real client the SDK uses, with the service definitions it uses.
const require = createRequire(import.meta.url);
const enginePb: typeof import("@pulumi/pulumi/proto/engine_pb.js") = require("@pulumi/pulumi/proto/engine_pb.js");
const engineGrpc: typeof import("@pulumi/pulumi/proto/engine_grpc_pb.js") = require("@pulumi/pulumi/proto/engine_grpc_pb.js");
type EngineClient = InstanceType<typeof engineGrpc.EngineClient>;

function call<Res>(invoke: (cb: (err: grpc.ServiceError | null, res: Res) => void) => void): Promise<Res> {
  return new Promise((resolve, reject) => invoke((err, res) => (err ? reject(err) : resolve(res))));
}

type StartServer = (methods: ReadonlyMap<string, UnaryMethod>, options: UnaryServerOptions) => Promise<UnaryServer>;

// Both transports answer every call alike: the monitor is served by Node's HTTP/2, the Engine service directly.
const transports: [string, StartServer][] = [
  ["node:http2", startUnaryServer],
  ["direct", startDirectUnaryServer],
];

for (const [transport, start] of transports) {
  async function withServer(methods: Map<string, UnaryMethod>, body: (client: EngineClient, address: string) => Promise<void>, maxMessageBytes = 64 * 1024 * 1024) {
    const server = await start(methods, { maxMessageBytes });
    const client = new engineGrpc.EngineClient(server.address, grpc.credentials.createInsecure());
    try {
      await body(client, server.address);
    } finally {
      client.close();
      await server.close(100);
    }
  }

  test(`${transport}: answers unary calls from grpc-js with the method's message`, async () => {
    let root = "";
    const methods = new Map<string, UnaryMethod>([
      ["/pulumirpc.Engine/SetRootResource", (b) => ((root = enginePb.SetRootResourceRequest.deserializeBinary(b).getUrn()), new Uint8Array(0))],
      ["/pulumirpc.Engine/GetRootResource", () => new enginePb.GetRootResourceResponse().setUrn(root).serializeBinary()],
    ]);
    await withServer(methods, async (client) => {
      await call((cb) => client.setRootResource(new enginePb.SetRootResourceRequest().setUrn("urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev"), cb));
      const res = await call<InstanceType<typeof enginePb.GetRootResourceResponse>>((cb) => client.getRootResource(new enginePb.GetRootResourceRequest(), cb));
      assert.equal(res.getUrn(), "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev");
    });
  });

  test(`${transport}: a message spread over many HTTP/2 frames arrives whole; one above the limit is refused`, async () => {
    const seen: string[] = [];
    const methods = new Map<string, UnaryMethod>([
      ["/pulumirpc.Engine/Log", (b) => (seen.push(enginePb.LogRequest.deserializeBinary(b).getMessage()), new Uint8Array(0))],
    ]);
    const big = "x".repeat(3 * 1024 * 1024) + "é";
    await withServer(
      methods,
      async (client) => {
        await call((cb) => client.log(new enginePb.LogRequest().setMessage(big), cb));
        assert.deepEqual(seen, [big]);
        await assert.rejects(
          call((cb) => client.log(new enginePb.LogRequest().setMessage("y".repeat(5 * 1024 * 1024)), cb)),
          (err: grpc.ServiceError) => err.code === grpc.status.RESOURCE_EXHAUSTED && /larger than max/.test(err.details),
        );
        assert.equal(seen.length, 1);
      },
      4 * 1024 * 1024,
    );
  });

  test(`${transport}: errors reach the client with their code and exact message; unknown methods are UNIMPLEMENTED`, async () => {
    const message = 'Pulumi CLI version 3.0.0 does not satisfy the version range ">=4.0.0" — 100% sure\nsecond line';
    const methods = new Map<string, UnaryMethod>([
      [
        "/pulumirpc.Engine/RequirePulumiVersion",
        () => {
          throw new UnaryCallError(GrpcStatus.UNKNOWN, message);
        },
      ],
      [
        "/pulumirpc.Engine/Log",
        () => {
          throw new Error("log sink broke");
        },
      ],
    ]);
    await withServer(methods, async (client) => {
      await assert.rejects(
        call((cb) => client.requirePulumiVersion(new enginePb.RequirePulumiVersionRequest().setPulumiVersionRange(">=4.0.0"), cb)),
        (err: grpc.ServiceError) => err.code === grpc.status.UNKNOWN && err.details === message,
      );
      await assert.rejects(
        call((cb) => client.log(new enginePb.LogRequest(), cb)),
        (err: grpc.ServiceError) => err.code === grpc.status.UNKNOWN && err.details === "log sink broke",
      );
      await assert.rejects(
        call((cb) => client.getRootResource(new enginePb.GetRootResourceRequest(), cb)),
        (err: grpc.ServiceError) => err.code === grpc.status.UNIMPLEMENTED && err.details === "unknown method /pulumirpc.Engine/GetRootResource",
      );
    });
  });

  test(`${transport}: a method may answer later; calls in flight are answered independently, and a rejection keeps its code`, async () => {
    const waiting: ((urn: string) => void)[] = [];
    const methods = new Map<string, UnaryMethod>([
      [
        "/pulumirpc.Engine/GetRootResource",
        () => new Promise<Uint8Array>((resolve) => waiting.push((urn) => resolve(new enginePb.GetRootResourceResponse().setUrn(urn).serializeBinary()))),
      ],
      ["/pulumirpc.Engine/SetRootResource", () => Promise.reject(new UnaryCallError(GrpcStatus.FAILED_PRECONDITION, "not yet"))],
    ]);
    await withServer(methods, async (client) => {
      const get = () => call<InstanceType<typeof enginePb.GetRootResourceResponse>>((cb) => client.getRootResource(new enginePb.GetRootResourceRequest(), cb));
      const first = get();
      const second = get();
      while (waiting.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
      // Answered in the opposite order from how they came.
      waiting[1]!("urn:second");
      assert.equal((await second).getUrn(), "urn:second");
      waiting[0]!("urn:first");
      assert.equal((await first).getUrn(), "urn:first");
      await assert.rejects(
        call((cb) => client.setRootResource(new enginePb.SetRootResourceRequest(), cb)),
        (err: grpc.ServiceError) => err.code === grpc.status.FAILED_PRECONDITION && err.details === "not yet",
      );
    });
  });

  test(`${transport}: a request that is not gRPC gets 415`, async () => {
    await withServer(new Map(), async (_client, address) => {
      const session = connect(`http://${address}`);
      try {
        const status = await new Promise<number>((resolve, reject) => {
          const req = session.request({ ":method": "POST", ":path": "/pulumirpc.Engine/Log", "content-type": "application/json" });
          req.on("response", (headers) => resolve(Number(headers[":status"])));
          req.on("error", reject);
          req.end("{}");
        });
        assert.equal(status, 415);
      } finally {
        session.close();
      }
    });
  });

  test(`${transport}: close ends connections a client keeps open, after the grace period`, async () => {
    const methods = new Map<string, UnaryMethod>([["/pulumirpc.Engine/Log", () => new Uint8Array(0)]]);
    const server = await start(methods, { maxMessageBytes: 1024 });
    const client = new engineGrpc.EngineClient(server.address, grpc.credentials.createInsecure());
    try {
      await call((cb) => client.log(new enginePb.LogRequest(), cb));
      await server.close(50);
      await assert.rejects(
        call((cb) => client.log(new enginePb.LogRequest(), cb)),
        (err: grpc.ServiceError) => err.code === grpc.status.UNAVAILABLE,
      );
    } finally {
      client.close();
    }
  });
}

test("percentEncode keeps printable ASCII and escapes the rest byte by byte", () => {
  assert.equal(percentEncode("plain text: ok"), "plain text: ok");
  assert.equal(percentEncode("100%"), "100%25");
  assert.equal(percentEncode("a\nb"), "a%0Ab");
  assert.equal(percentEncode("é"), "%C3%A9");
});
