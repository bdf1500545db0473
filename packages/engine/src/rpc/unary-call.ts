/**
 * A unary gRPC call apart from its transport: the method's signature, the server's interface, and
 * how a call's whole body becomes its answer. unary-server.ts (Node's HTTP/2) and
 * direct-unary-server.ts (HTTP/2 on a socket) both serve calls through answerCall.
 */
import type { Server } from "node:net";
import { GrpcStatus } from "./grpc-status.js";
import { unframeMessage } from "./wire.js";

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

/** How a transport sends a call's outcome: its one message (status OK), or a status alone. */
export interface CallReply {
  message(message: Uint8Array): void;
  status(code: number, message: string): void;
}

/** Runs `method` on a call's whole body and sends the outcome through `reply`. */
export function answerCall(method: UnaryMethod, body: Buffer, reply: CallReply): void {
  const request = unframeMessage(body);
  if (request === "compressed") {
    reply.status(GrpcStatus.UNIMPLEMENTED, "compressed messages are not supported");
    return;
  }
  if (typeof request === "string") {
    reply.status(GrpcStatus.INTERNAL, "a unary request must carry exactly one message");
    return;
  }
  let response: Uint8Array | Promise<Uint8Array>;
  try {
    response = method(request);
  } catch (err) {
    replyWithError(reply, err);
    return;
  }
  // Synchronous answers skip the promise machinery: the Engine service's log calls are most calls.
  if (response instanceof Uint8Array) reply.message(response);
  else response.then((message) => reply.message(message), (err: unknown) => replyWithError(reply, err));
}

function replyWithError(reply: CallReply, err: unknown): void {
  if (err instanceof UnaryCallError) reply.status(err.code, err.message);
  else reply.status(GrpcStatus.UNKNOWN, err instanceof Error ? err.message : String(err));
}

/** A server's open connection, as closing the server needs it. */
interface OpenConnection {
  /** Lets the calls in flight finish, then ends. */
  close(): void;
  destroy(): void;
}

/**
 * Listens on a loopback port. `connections` is the server's live set of open connections: close
 * stops accepting, asks each to finish, and cuts those left after `graceMs`.
 */
export function listenOnLoopback(server: Server, connections: ReadonlySet<OpenConnection>): Promise<UnaryServer> {
  const close = (graceMs: number) =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const connection of connections) connection.close();
      setTimeout(() => {
        for (const connection of connections) connection.destroy();
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
