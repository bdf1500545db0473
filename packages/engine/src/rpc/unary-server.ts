/**
 * A gRPC server for unary methods on Node's own HTTP/2 server: the engine serves the program's
 * ResourceMonitor with it (every method is unary), and the Engine service when its thread cannot
 * start. The Engine service's thread uses direct-unary-server.ts, which answers a call for less.
 *
 * Why not grpc-js: programs and the engine share the machine's cores, so every millisecond of CPU
 * the engine spends per call is taken from the program, whose own work is the floor of an update.
 * grpc-js's server spends about 0.23 ms of CPU per call on this machine, this one about 0.14 ms.
 * The client side is unary-client.ts, for a like reason.
 *
 * What it implements is what unary calls need: length-prefixed uncompressed messages, status in
 * trailers (percent-encoded message), trailers-only answers for errors, UNIMPLEMENTED for unknown
 * methods, 415 for a request that is not gRPC.
 */
import { createServer, type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import { GrpcStatus } from "./grpc-status.js";
import { answerCall, listenOnLoopback, type UnaryMethod, type UnaryServer, type UnaryServerOptions } from "./unary-call.js";
import { BodyCollector, frameMessage, percentEncode } from "./wire.js";

/** `methods` is keyed by the gRPC path, e.g. "/pulumirpc.Engine/Log". */
export function startUnaryServer(methods: ReadonlyMap<string, UnaryMethod>, options: UnaryServerOptions): Promise<UnaryServer> {
  const server = createServer();
  const sessions = new Set<Http2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    // A client that vanishes mid-call is not this server's error.
    session.on("error", () => undefined);
  });
  server.on("stream", (stream, headers) => serve(stream, headers, methods, options.maxMessageBytes));

  return listenOnLoopback(server, sessions);
}

function serve(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, methods: ReadonlyMap<string, UnaryMethod>, maxMessageBytes: number): void {
  stream.on("error", () => undefined);
  if (!String(headers["content-type"] ?? "").startsWith("application/grpc")) {
    stream.respond({ ":status": 415 }, { endStream: true });
    return;
  }
  const path = String(headers[":path"] ?? "");
  const method = methods.get(path);
  if (!method) {
    stream.resume();
    finishWithStatus(stream, GrpcStatus.UNIMPLEMENTED, `unknown method ${path}`);
    return;
  }
  const collector = new BodyCollector(maxMessageBytes);
  stream.on("data", (chunk: Buffer) => {
    // Answered at the first chunk over the limit; later ones find the answer sent.
    if (!collector.add(chunk)) finishWithStatus(stream, GrpcStatus.RESOURCE_EXHAUSTED, collector.tooLargeMessage());
  });
  stream.on("end", () => {
    if (collector.tooLarge) return;
    answerCall(method, collector.body(), {
      message: (message) => respondWith(stream, message),
      status: (code, message) => finishWithStatus(stream, code, message),
    });
  });
}

function respondWith(stream: ServerHttp2Stream, message: Uint8Array): void {
  if (stream.destroyed) return;
  const frame = frameMessage(message);
  stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
  stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": String(GrpcStatus.OK) }));
  stream.end(frame);
}

/** A trailers-only answer: the status goes in the one HEADERS frame. */
function finishWithStatus(stream: ServerHttp2Stream, code: number, message: string): void {
  if (stream.destroyed || stream.headersSent) return;
  stream.respond(
    { ":status": 200, "content-type": "application/grpc", "grpc-status": String(code), "grpc-message": percentEncode(message) },
    { endStream: true },
  );
}
