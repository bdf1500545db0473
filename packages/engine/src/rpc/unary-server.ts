/**
 * A gRPC server for unary methods on Node's own HTTP/2 server: the engine serves the program's
 * ResourceMonitor and Engine services with it (every method of both is unary).
 *
 * Why not grpc-js: programs and the engine share the machine's cores, so every millisecond of CPU
 * the engine spends per call is taken from the program, whose own work is the floor of an update.
 * grpc-js's server spends about 0.23 ms of CPU per call on this machine, this one about 0.14 ms.
 * The Node SDK's log calls make it matter most: it sends them one at a time, each waiting for the
 * previous answer, and the program cannot exit before that chain has drained (3,000 calls at 1,000
 * resources; the floor program of bench/engine finishes registering at 3.9 s and its logs at
 * 5.4 s). The client side is unary-client.ts, for a like reason.
 *
 * What it implements is what unary calls need: length-prefixed uncompressed messages, status in
 * trailers (percent-encoded message), trailers-only answers for errors, UNIMPLEMENTED for unknown
 * methods, 415 for a request that is not gRPC.
 */
import { createServer, type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import { GrpcStatus } from "./grpc-status.js";
import { BodyCollector, frameMessage, percentEncode, unframeMessage } from "./wire.js";

/** Thrown by a method to answer with a status other than UNKNOWN. */
export class UnaryCallError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * One unary method: the request's serialized message in, the response's out, now or later. A throw
 * or rejection answers with its UnaryCallError code, or UNKNOWN, and its message.
 */
export type UnaryMethod = (request: Uint8Array) => Uint8Array | Promise<Uint8Array>;

export interface UnaryServerOptions {
  /** Largest request message accepted, in bytes. */
  maxMessageBytes: number;
}

export interface UnaryServer {
  /** host:port, as a gRPC client dials it. */
  readonly address: string;
  /** Stops accepting; asks open connections to finish, and cuts them after `graceMs`. */
  close(graceMs: number): Promise<void>;
}

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

  const close = (graceMs: number) =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const session of sessions) session.close();
      setTimeout(() => {
        for (const session of sessions) session.destroy();
      }, graceMs).unref();
    });

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      const bound = server.address();
      const port = typeof bound === "object" && bound ? bound.port : 0;
      resolve({ address: `127.0.0.1:${port}`, close });
    });
  });
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
    if (!collector.add(chunk)) finishWithStatus(stream, GrpcStatus.RESOURCE_EXHAUSTED, `received message larger than max (${collector.messageBytes} vs. ${maxMessageBytes})`);
  });
  stream.on("end", () => {
    if (collector.tooLarge) return;
    const request = unframeMessage(collector.body());
    if (request === "compressed") {
      finishWithStatus(stream, GrpcStatus.UNIMPLEMENTED, "compressed messages are not supported");
      return;
    }
    if (typeof request === "string") {
      finishWithStatus(stream, GrpcStatus.INTERNAL, "a unary request must carry exactly one message");
      return;
    }
    let response: Uint8Array | Promise<Uint8Array>;
    try {
      response = method(request);
    } catch (err) {
      failWith(stream, err);
      return;
    }
    // Synchronous answers skip the promise machinery: the Engine service's log calls are most calls.
    if (response instanceof Uint8Array) respondWith(stream, response);
    else response.then((message) => respondWith(stream, message), (err: unknown) => failWith(stream, err));
  });
}

function failWith(stream: ServerHttp2Stream, err: unknown): void {
  if (err instanceof UnaryCallError) finishWithStatus(stream, err.code, err.message);
  else finishWithStatus(stream, GrpcStatus.UNKNOWN, err instanceof Error ? err.message : String(err));
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
