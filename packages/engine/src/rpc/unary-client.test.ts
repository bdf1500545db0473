import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { createServer } from "node:http2";
import type { AddressInfo } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { GrpcStatus } from "./grpc-status.js";
import { GrpcCallError, UnaryClient } from "./unary-client.js";

// The server side is what provider plugins run: grpc-js with the SDK's service definitions.
const require = createRequire(import.meta.url);
const enginePb: typeof import("@pulumi/pulumi/proto/engine_pb.js") = require("@pulumi/pulumi/proto/engine_pb.js");
const engineGrpc: typeof import("@pulumi/pulumi/proto/engine_grpc_pb.js") = require("@pulumi/pulumi/proto/engine_grpc_pb.js");
const emptyPb: typeof import("google-protobuf/google/protobuf/empty_pb.js") = require("google-protobuf/google/protobuf/empty_pb.js");

type Handlers = Partial<Record<"log" | "getRootResource" | "setRootResource", grpc.handleUnaryCall<never, never>>>;

async function startGrpcServer(handlers: Handlers, port = 0): Promise<{ server: grpc.Server; address: string; port: number }> {
  const server = new grpc.Server({ "grpc.max_receive_message_length": 64 * 1024 * 1024 });
  server.addService(engineGrpc.EngineService, handlers as grpc.UntypedServiceImplementation);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, address: `127.0.0.1:${bound}`, port: bound };
}

const stop = (server: grpc.Server) => new Promise<void>((resolve) => server.tryShutdown(() => resolve()));

const logPath = "/pulumirpc.Engine/Log";
const logBytes = (message: string) => new enginePb.LogRequest().setMessage(message).serializeBinary();

test("round-trips messages with a grpc-js server, a large one included", async () => {
  const seen: string[] = [];
  const { server, address } = await startGrpcServer({
    log: ((call: grpc.ServerUnaryCall<InstanceType<typeof enginePb.LogRequest>, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      seen.push(call.request.getMessage());
      cb(null, new emptyPb.Empty());
    }) as never,
    getRootResource: ((_call: unknown, cb: grpc.sendUnaryData<unknown>) =>
      cb(null, new enginePb.GetRootResourceResponse().setUrn("x".repeat(3 * 1024 * 1024) + "é"))) as never,
  });
  const client = new UnaryClient(address, { maxMessageBytes: 64 * 1024 * 1024 });
  try {
    await client.waitForReady(5000);
    const answers = await Promise.all(["a", "b", "c"].map((m) => client.call(logPath, logBytes(m))));
    assert.deepEqual(answers.map((a) => a.length), [0, 0, 0]);
    assert.deepEqual(seen.sort(), ["a", "b", "c"]);
    const root = enginePb.GetRootResourceResponse.deserializeBinary(await client.call("/pulumirpc.Engine/GetRootResource", new Uint8Array(0)));
    assert.equal(root.getUrn().length, 3 * 1024 * 1024 + 1);
    assert.ok(root.getUrn().endsWith("é"));
  } finally {
    client.close();
    await stop(server);
  }
});

test("a failed call carries the server's code, exact message and status details", async () => {
  const message = "provider said: 100% broken\nsecond line — é";
  const details = Buffer.from([8, 2, 18, 3, 0x61, 0x62, 0x63, 0xff, 0x00]);
  const { server, address } = await startGrpcServer({
    log: ((_call: unknown, cb: grpc.sendUnaryData<unknown>) => {
      const metadata = new grpc.Metadata();
      metadata.add("grpc-status-details-bin", details);
      cb({ code: grpc.status.FAILED_PRECONDITION, details: message, metadata });
    }) as never,
  });
  const client = new UnaryClient(address, { maxMessageBytes: 1024 });
  try {
    await assert.rejects(client.call(logPath, logBytes("x")), (err: unknown) => {
      assert.ok(err instanceof GrpcCallError);
      assert.equal(err.code, GrpcStatus.FAILED_PRECONDITION);
      assert.equal(err.details, message);
      assert.deepEqual(Buffer.from(err.statusDetails ?? []), details);
      return true;
    });
    await assert.rejects(client.call("/pulumirpc.Engine/RequirePulumiVersion", new Uint8Array(0)), (err: unknown) => {
      assert.ok(err instanceof GrpcCallError);
      assert.equal(err.code, GrpcStatus.UNIMPLEMENTED);
      return true;
    });
  } finally {
    client.close();
    await stop(server);
  }
});

test("an answer above the receive limit is refused, and the connection stays usable", async () => {
  const { server, address } = await startGrpcServer({
    getRootResource: ((_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, new enginePb.GetRootResourceResponse().setUrn("u".repeat(200_000)))) as never,
    log: ((_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, new emptyPb.Empty())) as never,
  });
  const client = new UnaryClient(address, { maxMessageBytes: 100_000 });
  try {
    await assert.rejects(client.call("/pulumirpc.Engine/GetRootResource", new Uint8Array(0)), (err: unknown) => {
      assert.ok(err instanceof GrpcCallError);
      assert.equal(err.code, GrpcStatus.RESOURCE_EXHAUSTED);
      assert.match(err.details, /larger than max/);
      return true;
    });
    assert.equal((await client.call(logPath, logBytes("after"))).length, 0);
  } finally {
    client.close();
    await stop(server);
  }
});

test("an HTTP error without a gRPC status is mapped as the gRPC spec maps it", async () => {
  const http = createServer();
  http.on("stream", (stream) => stream.respond({ ":status": 404 }, { endStream: true }));
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const client = new UnaryClient(`127.0.0.1:${(http.address() as AddressInfo).port}`, { maxMessageBytes: 1024 });
  try {
    await assert.rejects(client.call(logPath, logBytes("x")), (err: unknown) => {
      assert.ok(err instanceof GrpcCallError);
      assert.equal(err.code, GrpcStatus.UNIMPLEMENTED);
      assert.equal(err.details, "Received HTTP status code 404");
      return true;
    });
  } finally {
    client.close();
    await new Promise((resolve) => http.close(resolve));
  }
});

test("a server that goes away fails the call in flight as UNAVAILABLE; a new one on the port is reached again", async () => {
  let first: grpc.Server | undefined;
  const started = await startGrpcServer({
    // Never answers: the server is torn down with the call in flight.
    log: (() => first?.forceShutdown()) as never,
  });
  first = started.server;
  const client = new UnaryClient(started.address, { maxMessageBytes: 1024 });
  try {
    await assert.rejects(client.call(logPath, logBytes("x")), (err: unknown) => {
      assert.ok(err instanceof GrpcCallError);
      assert.equal(err.code, GrpcStatus.UNAVAILABLE);
      return true;
    });
    const second = await startGrpcServer({ log: ((_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, new emptyPb.Empty())) as never }, started.port);
    try {
      await client.waitForReady(5000);
      assert.equal((await client.call(logPath, logBytes("again"))).length, 0);
    } finally {
      await stop(second.server);
    }
  } finally {
    client.close();
  }
});

test("a server process that exits mid-call fails the call as UNAVAILABLE, naming the lost connection", async () => {
  // What a provider plugin that crashes during Create looks like from the engine.
  const script = `
    const grpc = require("@grpc/grpc-js");
    const engineGrpc = require("@pulumi/pulumi/proto/engine_grpc_pb.js");
    const server = new grpc.Server();
    server.addService(engineGrpc.EngineService, { log: () => process.exit(3) });
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, port) => console.log(port));
  `;
  const child = spawn(process.execPath, ["-e", script], { cwd: fileURLToPath(new URL(".", import.meta.url)), stdio: ["ignore", "pipe", "inherit"] });
  const [portLine] = (await once(child.stdout, "data")) as [Buffer];
  const address = `127.0.0.1:${String(portLine).trim()}`;
  const client = new UnaryClient(address, { maxMessageBytes: 1024 });
  try {
    await assert.rejects(client.call(logPath, logBytes("x")), (err: unknown) => {
      assert.ok(err instanceof GrpcCallError);
      assert.equal(err.code, GrpcStatus.UNAVAILABLE);
      assert.match(err.details, new RegExp(`^the connection to ${address.replace(/\./g, "\\.")} closed before the call was answered`));
      return true;
    });
  } finally {
    client.close();
    child.kill("SIGKILL");
  }
});

test("waiting for a server that never comes gives up with UNAVAILABLE", async () => {
  const { server, port } = await startGrpcServer({});
  await stop(server);
  const client = new UnaryClient(`127.0.0.1:${port}`, { maxMessageBytes: 1024 });
  try {
    await assert.rejects(client.waitForReady(300), (err: unknown) => {
      assert.ok(err instanceof GrpcCallError);
      assert.equal(err.code, GrpcStatus.UNAVAILABLE);
      assert.match(err.details, /ECONNREFUSED/);
      return true;
    });
  } finally {
    client.close();
  }
});

test("aborting the signal cancels the call: CANCELLED here, and the server sees the cancellation", async () => {
  let serverSawCancel: () => void = () => undefined;
  const cancelledOnServer = new Promise<void>((resolve) => (serverSawCancel = resolve));
  const { server, address } = await startGrpcServer({
    // Never answers; only notices that the client went away.
    log: ((call: grpc.ServerUnaryCall<unknown, unknown>) => call.on("cancelled", () => serverSawCancel())) as never,
  });
  const client = new UnaryClient(address, { maxMessageBytes: 1024 });
  try {
    const abort = new AbortController();
    const pending = client.call(logPath, logBytes("long"), abort.signal);
    setTimeout(() => abort.abort(), 50);
    await assert.rejects(pending, (err: unknown) => {
      assert.ok(err instanceof GrpcCallError);
      assert.equal(err.code, GrpcStatus.CANCELLED);
      assert.equal(err.details, "Cancelled on client");
      return true;
    });
    await cancelledOnServer;
  } finally {
    client.close();
    await stop(server);
  }
});

test("an idle client does not keep the process alive", async () => {
  // A child process makes one call against this process's server and closes nothing: it must still
  // exit on its own once the answer is in, while the connection stays open on the server's side.
  const { server, address } = await startGrpcServer({ log: ((_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, new emptyPb.Empty())) as never });
  try {
    const script = `
      import { UnaryClient } from ${JSON.stringify(new URL("./unary-client.js", import.meta.url).href)};
      const client = new UnaryClient(${JSON.stringify(address)}, { maxMessageBytes: 1024 });
      await client.call("/pulumirpc.Engine/Log", new Uint8Array(0));
      console.log("called");
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    const [code, signal] = (await once(child, "exit")) as [number | null, string | null];
    clearTimeout(timer);
    assert.equal(out.trim(), "called");
    assert.deepEqual([code, signal], [0, null], "the child exited on its own");
  } finally {
    await stop(server);
  }
});
