/**
 * A gRPC client for unary methods on Node's own HTTP/2 client, for the engine's calls to provider
 * plugins and to the Automation API's language runtime (an inline program's Run).
 *
 * Why not grpc-js here: an `up` makes two provider calls per resource (Check, then Create or Diff),
 * all from the CLI's main thread, on two cores shared with the program and the plugin. grpc-js's
 * client spends about 0.38 ms of CPU per call on this machine (its channel, resolver, interceptor
 * and retry layers run for every call), a bare HTTP/2 request about 0.18 ms; at 1,000 resources
 * that is 0.4 s of CPU taken from the program. The servers it talks to are the plugins' own
 * (grpc-js, grpc-go) and the Automation API's (grpc-js).
 *
 * What it implements is what unary calls need: one length-prefixed uncompressed message each way,
 * the status from trailers or a trailers-only answer (percent-decoded message, binary status
 * details), HTTP errors and resets mapped to gRPC codes as the gRPC spec maps them, a receive
 * limit, and reconnecting when the connection has gone.
 */
import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from "node:http2";
import { GrpcStatus, statusName } from "./grpc-status.js";
import { BodyCollector, frameMessage, percentDecode, unframeMessage } from "./wire.js";

/** A call that ended with a status other than OK. */
export class GrpcCallError extends Error {
  constructor(
    readonly code: number,
    readonly details: string,
    /** `grpc-status-details-bin`: a serialized google.rpc.Status, when the server sent one. */
    readonly statusDetails: Uint8Array | undefined,
  ) {
    super(`${code} ${statusName(code)}: ${details}`);
  }
}

export interface UnaryClientOptions {
  /** Largest response message accepted, in bytes. */
  maxMessageBytes: number;
}

export class UnaryClient {
  private session: ClientHttp2Session | undefined;
  /** Calls waiting, per session (a call may still finish on a connection already replaced). */
  private readonly inFlight = new Map<ClientHttp2Session, number>();
  private closed = false;

  /** `authority`: host:port. */
  constructor(
    private readonly authority: string,
    private readonly options: UnaryClientOptions,
  ) {}

  /** Resolves once a connection is up, retrying until `timeoutMs` has passed. */
  async waitForReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let delay = 10; ; delay = Math.min(delay * 2, 500)) {
      const failure = await this.connected();
      if (failure === undefined) return;
      if (Date.now() + delay > deadline) throw new GrpcCallError(GrpcStatus.UNAVAILABLE, `could not connect to ${this.authority}: ${failure.message}`, undefined);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  /**
   * Calls `path` (e.g. "/pulumirpc.ResourceProvider/Check") with a serialized request. Aborting
   * `signal` cancels the call (the server sees RST_STREAM CANCEL) and fails it with CANCELLED.
   */
  call(path: string, request: Uint8Array, signal?: AbortSignal): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new GrpcCallError(GrpcStatus.UNAVAILABLE, "the client is closed", undefined));
    const session = this.open();
    let stream: ClientHttp2Stream;
    try {
      stream = session.request(
        { ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" },
        { endStream: false },
      );
    } catch (err) {
      return Promise.reject(new GrpcCallError(GrpcStatus.UNAVAILABLE, errorText(err), undefined));
    }
    this.track(session, +1);
    stream.end(frameMessage(request));
    return new Promise<Uint8Array>((resolve, reject) => {
      const response = new ResponseReader(this.options.maxMessageBytes);
      stream.on("response", (headers) => response.onHeaders(headers));
      stream.on("trailers", (trailers) => response.onTrailers(trailers));
      stream.on("data", (chunk: Buffer) => {
        if (!response.onData(chunk)) stream.close(constants.NGHTTP2_CANCEL);
      });
      stream.on("error", (err: Error) => response.onError(err));
      const cancel = () => {
        response.onCancel();
        stream.close(constants.NGHTTP2_CANCEL);
      };
      if (signal?.aborted) cancel();
      else signal?.addEventListener("abort", cancel, { once: true });
      stream.once("close", () => {
        signal?.removeEventListener("abort", cancel);
        this.track(session, -1);
        const outcome = response.finish(stream.rstCode, session.destroyed ? this.authority : undefined);
        if (outcome instanceof GrpcCallError) reject(outcome);
        else resolve(outcome);
      });
    });
  }

  close(): void {
    this.closed = true;
    this.session?.close();
    this.session = undefined;
  }

  private open(): ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const session = connect(`http://${this.authority}`);
    // Failures reach the calls on it through their streams; a session error is not the process's.
    session.on("error", () => undefined);
    const forget = () => {
      if (this.session === session) this.session = undefined;
    };
    session.once("close", forget);
    session.once("goaway", forget);
    session.unref();
    this.session = session;
    return session;
  }

  /** The session keeps the process alive only while a call is waiting on it. */
  private track(session: ClientHttp2Session, delta: number): void {
    const waiting = (this.inFlight.get(session) ?? 0) + delta;
    if (waiting === 0) this.inFlight.delete(session);
    else this.inFlight.set(session, waiting);
    if (session.destroyed) return;
    if (delta > 0 && waiting === 1) session.ref();
    else if (waiting === 0) session.unref();
  }

  private connected(): Promise<Error | undefined> {
    const session = this.open();
    if (session.connecting === false) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const onConnect = () => {
        session.off("error", onError);
        resolve(undefined);
      };
      const onError = (err: Error) => {
        session.off("connect", onConnect);
        resolve(err);
      };
      session.once("connect", onConnect);
      session.once("error", onError);
    });
  }
}

/** Collects one unary response and decides its outcome. */
class ResponseReader {
  private httpStatus = 0;
  private grpcStatus: number | undefined;
  private grpcMessage = "";
  private statusDetails: Uint8Array | undefined;
  private readonly body: BodyCollector;
  private cancelled = false;
  private error: Error | undefined;

  constructor(maxMessageBytes: number) {
    this.body = new BodyCollector(maxMessageBytes);
  }

  onHeaders(headers: IncomingHttpHeaders): void {
    this.httpStatus = Number(headers[":status"] ?? 0);
    // A trailers-only answer carries the status in its one HEADERS frame.
    if (headers["grpc-status"] !== undefined) this.onTrailers(headers);
  }

  onTrailers(trailers: IncomingHttpHeaders): void {
    this.grpcStatus = Number(trailers["grpc-status"]);
    this.grpcMessage = percentDecode(String(trailers["grpc-message"] ?? ""));
    const details = trailers["grpc-status-details-bin"];
    if (details !== undefined) this.statusDetails = Buffer.from(String(details), "base64");
  }

  /** False when the response outgrew the limit (the caller then cancels the stream). */
  onData(chunk: Buffer): boolean {
    return this.body.add(chunk);
  }

  onError(err: Error): void {
    this.error ??= err;
  }

  onCancel(): void {
    this.cancelled = true;
  }

  /** `lostConnectionTo`: the peer's address, when the connection itself went away (a plugin that exited). */
  finish(rstCode: number | undefined, lostConnectionTo: string | undefined): Uint8Array | GrpcCallError {
    if (this.cancelled) return new GrpcCallError(GrpcStatus.CANCELLED, "Cancelled on client", undefined);
    if (this.body.tooLarge) {
      return new GrpcCallError(GrpcStatus.RESOURCE_EXHAUSTED, `Received message larger than max (${this.body.messageBytes} vs. ${this.body.maxMessageBytes})`, undefined);
    }
    if (this.grpcStatus === undefined) return this.withoutStatus(rstCode, lostConnectionTo);
    if (this.grpcStatus !== GrpcStatus.OK) return new GrpcCallError(this.grpcStatus, this.grpcMessage, this.statusDetails);
    const message = unframeMessage(this.body.body());
    if (message === "none") return new GrpcCallError(GrpcStatus.UNIMPLEMENTED, "the server answered a unary call without a message", undefined);
    if (message === "compressed") return new GrpcCallError(GrpcStatus.INTERNAL, "the server sent a compressed message, which was not asked for", undefined);
    if (message === "not-one") return new GrpcCallError(GrpcStatus.INTERNAL, "the server answered a unary call with other than one message", undefined);
    return message;
  }

  private withoutStatus(rstCode: number | undefined, lostConnectionTo: string | undefined): GrpcCallError {
    if (this.httpStatus !== 0 && this.httpStatus !== 200) {
      return new GrpcCallError(codeForHttpStatus(this.httpStatus), `Received HTTP status code ${this.httpStatus}`, undefined);
    }
    // Node ends a stream whose connection closed under it with RST_STREAM CANCEL and, depending on
    // how the peer left, no error at all: name what happened rather than the reset code.
    if (lostConnectionTo !== undefined) {
      const cause = this.error ? `: ${errorText(this.error)}` : "";
      return new GrpcCallError(GrpcStatus.UNAVAILABLE, `the connection to ${lostConnectionTo} closed before the call was answered${cause}`, undefined);
    }
    if (this.error) return new GrpcCallError(GrpcStatus.UNAVAILABLE, errorText(this.error), undefined);
    if (rstCode !== undefined && rstCode !== constants.NGHTTP2_NO_ERROR) {
      const code = rstCode === constants.NGHTTP2_REFUSED_STREAM ? GrpcStatus.UNAVAILABLE : rstCode === constants.NGHTTP2_CANCEL ? GrpcStatus.CANCELLED : GrpcStatus.INTERNAL;
      return new GrpcCallError(code, `Received RST_STREAM with code ${rstCode}`, undefined);
    }
    return new GrpcCallError(GrpcStatus.UNAVAILABLE, "the connection closed before the call had a status", undefined);
  }
}

/** The gRPC spec's mapping for an HTTP status that came without a gRPC status. */
function codeForHttpStatus(status: number): number {
  switch (status) {
    case 400:
      return GrpcStatus.INTERNAL;
    case 401:
      return GrpcStatus.UNAUTHENTICATED;
    case 403:
      return GrpcStatus.PERMISSION_DENIED;
    case 404:
      return GrpcStatus.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return GrpcStatus.UNAVAILABLE;
    default:
      return GrpcStatus.UNKNOWN;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
