/**
 * A gRPC server for small unary calls that speaks HTTP/2 itself on a TCP socket, for the Engine
 * service's log calls.
 *
 * Why: the Node SDK sends its logs one at a time, each waiting for the previous answer, and a
 * program cannot exit before that chain has drained (3,000 logs at 1,000 resources), so each
 * answer's latency is on an update's critical path: in alternating runs of bench/engine's
 * 1,000-resource update, 0.1 ms more per log answer cost 0.2–0.3 s. On Node's HTTP/2 server an
 * answer costs ~0.15–0.19 ms, most of it building and tearing down each call's stream object,
 * header objects and events; here a call is a few frames parsed from a buffer and one write, and
 * the same update takes ~0.3–0.4 s less.
 *
 * What it implements is what a gRPC client needs from a server of unary calls: the connection
 * preface and SETTINGS, HPACK decoding (rpc/hpack.ts), CONTINUATION, padding, PING, RST_STREAM,
 * GOAWAY, and flow control both ways (it advertises the largest windows and replenishes the
 * connection's; it sends no more than the client's windows allow, holding the rest until a
 * WINDOW_UPDATE). Calls get the same answers as on unary-server.ts (answerCall). The monitor stays
 * on Node's server: served from here, a 1,000-resource update used 54 ms less CPU and took no less
 * time.
 */
import { createServer, type Socket } from "node:net";
import { GrpcStatus } from "./grpc-status.js";
import { encodeHeaderBlock, HpackDecoder, HpackError, type HeaderField } from "./hpack.js";
import { answerCall, listenOnLoopback, type CallReply, type UnaryMethod, type UnaryServer, type UnaryServerOptions } from "./unary-call.js";
import { BodyCollector, frameMessage, percentEncode } from "./wire.js";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
const FRAME_HEADER_BYTES = 9;

const FrameType = { DATA: 0, HEADERS: 1, PRIORITY: 2, RST_STREAM: 3, SETTINGS: 4, PUSH_PROMISE: 5, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8, CONTINUATION: 9 } as const;
const Flag = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 } as const;
const ErrorCode = { NO_ERROR: 0, PROTOCOL_ERROR: 1, FLOW_CONTROL_ERROR: 3, FRAME_SIZE_ERROR: 6, REFUSED_STREAM: 7, COMPRESSION_ERROR: 9 } as const;
const Setting = { INITIAL_WINDOW_SIZE: 4, MAX_FRAME_SIZE: 5 } as const;

/** The protocol's defaults, which hold for the peer until its SETTINGS say otherwise. */
const DEFAULT_WINDOW = 65_535;
const DEFAULT_MAX_FRAME = 16_384;
const MAX_WINDOW = 2 ** 31 - 1;
/** The most header-block bytes one request may send (its HEADERS and CONTINUATIONs together). */
const MAX_HEADER_BLOCK = 64 * 1024;

const RESPONSE_HEADERS = encodeHeaderBlock([
  [":status", "200"],
  ["content-type", "application/grpc"],
]);
const OK_TRAILERS = encodeHeaderBlock([["grpc-status", String(GrpcStatus.OK)]]);

/** This side's SETTINGS: the largest stream window, so a request never waits for us. */
const LOCAL_SETTINGS = settingsPayload([[Setting.INITIAL_WINDOW_SIZE, MAX_WINDOW]]);

class ConnectionError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

interface Call {
  readonly id: number;
  readonly method: UnaryMethod;
  readonly collector: BodyCollector;
  /** The client has sent END_STREAM. */
  requestDone: boolean;
  /** What the client's window for this stream lets us send now. */
  sendWindow: number;
  /** Response frames not yet sent for lack of window: the DATA payload still to go, then the trailers. */
  held?: Buffer;
}

/** `methods` is keyed by the gRPC path, e.g. "/pulumirpc.Engine/Log". */
export function startDirectUnaryServer(methods: ReadonlyMap<string, UnaryMethod>, options: UnaryServerOptions): Promise<UnaryServer> {
  if (options.maxMessageBytes >= MAX_WINDOW - 5) throw new RangeError("maxMessageBytes must fit one HTTP/2 stream window");
  const connections = new Set<Connection>();
  const server = createServer((socket) => {
    const connection = new Connection(socket, methods, options.maxMessageBytes);
    connections.add(connection);
    socket.once("close", () => connections.delete(connection));
  });

  return listenOnLoopback(server, connections);
}

class Connection {
  private input: Buffer = Buffer.alloc(0);
  private prefaceSeen = false;
  private readonly decoder = new HpackDecoder();
  private readonly calls = new Map<number, Call>();
  private lastStreamId = 0;
  /** A header block whose CONTINUATION frames are still to come. */
  private openBlock: { streamId: number; endStream: boolean; chunks: Buffer[]; bytes: number } | undefined;
  private sendWindow = DEFAULT_WINDOW;
  private peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxFrame = DEFAULT_MAX_FRAME;
  /** DATA bytes received since this side last replenished the connection window. */
  private unreplenished = 0;
  /** Frames produced while handling one read, written together when it is done. */
  private output: Buffer[] = [];
  private batching = false;
  private goingAway = false;
  private closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly methods: ReadonlyMap<string, UnaryMethod>,
    private readonly maxMessageBytes: number,
  ) {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.read(chunk));
    socket.on("error", () => undefined);
    socket.once("close", () => {
      this.closed = true;
      this.calls.clear();
    });
    this.send(frame(FrameType.SETTINGS, 0, 0, LOCAL_SETTINGS));
    this.send(windowUpdate(0, MAX_WINDOW - DEFAULT_WINDOW));
  }

  /** Refuses new streams, lets the open ones finish, then closes. */
  close(): void {
    if (this.goingAway || this.closed) return;
    this.goingAway = true;
    this.send(goAwayFrame(this.lastStreamId, ErrorCode.NO_ERROR));
    this.endIfIdle();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private read(chunk: Buffer): void {
    this.input = this.input.length === 0 ? chunk : Buffer.concat([this.input, chunk]);
    this.batching = true;
    try {
      if (!this.prefaceSeen) {
        if (this.input.length < PREFACE.length) {
          if (!PREFACE.subarray(0, this.input.length).equals(this.input)) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "not an HTTP/2 client");
          return;
        }
        if (!PREFACE.equals(this.input.subarray(0, PREFACE.length))) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "not an HTTP/2 client");
        this.prefaceSeen = true;
        this.input = this.input.subarray(PREFACE.length);
      }
      let at = 0;
      while (this.input.length - at >= FRAME_HEADER_BYTES) {
        const length = this.input.readUIntBE(at, 3);
        if (length > DEFAULT_MAX_FRAME) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, `frame of ${length} bytes`);
        if (this.input.length - at < FRAME_HEADER_BYTES + length) break;
        const type = this.input[at + 3]!;
        const flags = this.input[at + 4]!;
        const streamId = this.input.readUInt32BE(at + 5) & 0x7fffffff;
        const payload = this.input.subarray(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + length);
        at += FRAME_HEADER_BYTES + length;
        this.handle(type, flags, streamId, payload);
        if (this.closed) return;
      }
      this.input = at === this.input.length ? Buffer.alloc(0) : this.input.subarray(at);
    } catch (err) {
      if (!(err instanceof ConnectionError)) throw err;
      this.fail(err);
    } finally {
      this.batching = false;
      this.flush();
    }
  }

  private handle(type: number, flags: number, streamId: number, payload: Buffer): void {
    if (this.openBlock && type !== FrameType.CONTINUATION) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "expected CONTINUATION");
    switch (type) {
      case FrameType.HEADERS:
        return this.onHeaders(flags, streamId, payload);
      case FrameType.CONTINUATION:
        return this.onContinuation(flags, streamId, payload);
      case FrameType.DATA:
        return this.onData(flags, streamId, payload);
      case FrameType.SETTINGS:
        return this.onSettings(flags, streamId, payload);
      case FrameType.WINDOW_UPDATE:
        return this.onWindowUpdate(streamId, payload);
      case FrameType.PING:
        if (payload.length !== 8) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "PING of other than 8 bytes");
        if (!(flags & Flag.ACK)) this.send(frame(FrameType.PING, Flag.ACK, 0, payload));
        return;
      case FrameType.RST_STREAM:
        this.calls.delete(streamId);
        return this.endIfIdle();
      case FrameType.PUSH_PROMISE:
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "PUSH_PROMISE from a client");
      default:
        // PRIORITY, GOAWAY (the client closes the socket itself) and unknown types need nothing.
        return;
    }
  }

  private onHeaders(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0 || streamId % 2 === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "HEADERS on a server-side stream id");
    let block = unpad(flags, payload);
    if (flags & Flag.PRIORITY) block = block.subarray(5);
    const endStream = (flags & Flag.END_STREAM) !== 0;
    if (flags & Flag.END_HEADERS) this.onHeaderBlock(streamId, endStream, block);
    else this.openBlock = { streamId, endStream, chunks: [Buffer.from(block)], bytes: block.length };
  }

  private onContinuation(flags: number, streamId: number, payload: Buffer): void {
    const open = this.openBlock;
    if (!open || open.streamId !== streamId) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "CONTINUATION without HEADERS");
    open.chunks.push(Buffer.from(payload));
    open.bytes += payload.length;
    if (open.bytes > MAX_HEADER_BLOCK) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "header block too large");
    if (!(flags & Flag.END_HEADERS)) return;
    this.openBlock = undefined;
    this.onHeaderBlock(streamId, open.endStream, Buffer.concat(open.chunks, open.bytes));
  }

  private onHeaderBlock(streamId: number, endStream: boolean, block: Buffer): void {
    let fields: HeaderField[];
    try {
      // Every block is decoded, whatever becomes of its stream, to keep the dynamic table in step.
      fields = this.decoder.decode(block);
    } catch (err) {
      if (err instanceof HpackError) throw new ConnectionError(ErrorCode.COMPRESSION_ERROR, err.message);
      throw err;
    }
    const call = this.calls.get(streamId);
    if (call) {
      // The client's trailers: they end the request.
      if (endStream) this.endRequest(call);
      return;
    }
    if (streamId <= this.lastStreamId) return;
    this.lastStreamId = streamId;
    if (this.goingAway) {
      this.send(rstStream(streamId, ErrorCode.REFUSED_STREAM));
      return;
    }
    let path = "";
    let contentType = "";
    for (const [name, value] of fields) {
      if (name === ":path") path = value;
      else if (name === "content-type") contentType = value;
    }
    if (!contentType.startsWith("application/grpc")) {
      this.sendHeaders(streamId, encodeHeaderBlock([[":status", "415"]]), true);
      if (!endStream) this.send(rstStream(streamId, ErrorCode.NO_ERROR));
      return;
    }
    const method = this.methods.get(path);
    if (!method) {
      this.sendStatus(streamId, GrpcStatus.UNIMPLEMENTED, `unknown method ${path}`);
      if (!endStream) this.send(rstStream(streamId, ErrorCode.NO_ERROR));
      return;
    }
    const started: Call = { id: streamId, method, collector: new BodyCollector(this.maxMessageBytes), requestDone: false, sendWindow: this.peerInitialWindow };
    this.calls.set(streamId, started);
    if (endStream) this.endRequest(started);
  }

  private onData(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "DATA on stream 0");
    // The whole payload counts against the window, padding included, whatever the stream's fate.
    this.unreplenished += payload.length;
    if (this.unreplenished >= MAX_WINDOW / 2) {
      this.send(windowUpdate(0, this.unreplenished));
      this.unreplenished = 0;
    }
    const call = this.calls.get(streamId);
    if (!call || call.requestDone) return;
    if (!call.collector.add(unpad(flags, payload))) {
      this.calls.delete(streamId);
      this.sendStatus(streamId, GrpcStatus.RESOURCE_EXHAUSTED, call.collector.tooLargeMessage());
      this.send(rstStream(streamId, ErrorCode.NO_ERROR));
      return;
    }
    if (flags & Flag.END_STREAM) this.endRequest(call);
  }

  private endRequest(call: Call): void {
    if (call.requestDone) return;
    call.requestDone = true;
    answerCall(call.method, call.collector.body(), this.replyTo(call));
  }

  private replyTo(call: Call): CallReply {
    // The call may have been reset, or the connection lost, by the time an answer comes.
    const live = () => !this.closed && this.calls.get(call.id) === call;
    return {
      message: (message) => {
        if (!live()) return;
        this.sendHeaders(call.id, RESPONSE_HEADERS, false);
        call.held = frameMessage(message);
        this.sendHeld(call);
      },
      status: (code, message) => {
        if (!live()) return;
        this.calls.delete(call.id);
        this.sendStatus(call.id, code, message);
        this.endIfIdle();
      },
    };
  }

  /** Sends what the windows allow of a call's held DATA, then its trailers once none is left. */
  private sendHeld(call: Call): void {
    let held = call.held!;
    while (held.length > 0) {
      const size = Math.min(held.length, this.sendWindow, call.sendWindow, this.peerMaxFrame);
      if (size <= 0) {
        call.held = held;
        return;
      }
      this.send(frame(FrameType.DATA, 0, call.id, held.subarray(0, size)));
      held = held.subarray(size);
      this.sendWindow -= size;
      call.sendWindow -= size;
    }
    call.held = undefined;
    this.sendHeaders(call.id, OK_TRAILERS, true);
    this.calls.delete(call.id);
    this.endIfIdle();
  }

  private onSettings(flags: number, streamId: number, payload: Buffer): void {
    if (streamId !== 0 || payload.length % 6 !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "malformed SETTINGS");
    if (flags & Flag.ACK) return;
    for (let at = 0; at < payload.length; at += 6) {
      const id = payload.readUInt16BE(at);
      const value = payload.readUInt32BE(at + 2);
      if (id === Setting.INITIAL_WINDOW_SIZE) {
        if (value > MAX_WINDOW) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "initial window above 2^31-1");
        for (const call of this.calls.values()) call.sendWindow += value - this.peerInitialWindow;
        this.peerInitialWindow = value;
      } else if (id === Setting.MAX_FRAME_SIZE) {
        if (value < DEFAULT_MAX_FRAME || value > 16_777_215) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "max frame size out of range");
        this.peerMaxFrame = value;
      }
      // HEADER_TABLE_SIZE bounds the client's decoder, which this side's literals never fill.
    }
    this.send(frame(FrameType.SETTINGS, Flag.ACK, 0, Buffer.alloc(0)));
    this.sendAllHeld();
  }

  private onWindowUpdate(streamId: number, payload: Buffer): void {
    if (payload.length !== 4) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "WINDOW_UPDATE of other than 4 bytes");
    const increment = payload.readUInt32BE(0) & 0x7fffffff;
    if (streamId === 0) this.sendWindow += increment;
    else {
      const call = this.calls.get(streamId);
      if (!call) return;
      call.sendWindow += increment;
    }
    this.sendAllHeld();
  }

  private sendAllHeld(): void {
    for (const call of [...this.calls.values()]) if (call.held) this.sendHeld(call);
  }

  private sendStatus(streamId: number, code: number, message: string): void {
    const block = encodeHeaderBlock([
      [":status", "200"],
      ["content-type", "application/grpc"],
      ["grpc-status", String(code)],
      ["grpc-message", percentEncode(message)],
    ]);
    this.sendHeaders(streamId, block, true);
  }

  /** A header block as a HEADERS frame and as many CONTINUATION frames as the client's frame size needs. */
  private sendHeaders(streamId: number, block: Buffer, endStream: boolean): void {
    let rest = block;
    let type: number = FrameType.HEADERS;
    let flags = endStream ? Flag.END_STREAM : 0;
    while (rest.length > this.peerMaxFrame) {
      this.send(frame(type, flags, streamId, rest.subarray(0, this.peerMaxFrame)));
      rest = rest.subarray(this.peerMaxFrame);
      type = FrameType.CONTINUATION;
      flags = 0;
    }
    this.send(frame(type, flags | Flag.END_HEADERS, streamId, rest));
  }

  private send(bytes: Buffer): void {
    if (this.closed) return;
    this.output.push(bytes);
    if (!this.batching) this.flush();
  }

  private flush(): void {
    if (this.output.length === 0 || this.closed) return;
    this.socket.write(this.output.length === 1 ? this.output[0]! : Buffer.concat(this.output));
    this.output = [];
  }

  private endIfIdle(): void {
    if (this.goingAway && this.calls.size === 0) {
      this.flush();
      this.socket.end();
    }
  }

  private fail(err: ConnectionError): void {
    this.send(goAwayFrame(this.lastStreamId, err.code, err.message));
    this.flush();
    this.calls.clear();
    this.socket.end();
    this.closed = true;
  }
}

function frame(type: number, flags: number, streamId: number, payload: Uint8Array): Buffer {
  const bytes = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  bytes.writeUIntBE(payload.length, 0, 3);
  bytes[3] = type;
  bytes[4] = flags;
  bytes.writeUInt32BE(streamId, 5);
  bytes.set(payload, FRAME_HEADER_BYTES);
  return bytes;
}

function unpad(flags: number, payload: Buffer): Buffer {
  if (!(flags & Flag.PADDED)) return payload;
  const padding = payload[0] ?? 0;
  if (payload.length < 1 + padding) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, "padding longer than the frame");
  return payload.subarray(1, payload.length - padding);
}

function settingsPayload(settings: ReadonlyArray<readonly [number, number]>): Buffer {
  const payload = Buffer.allocUnsafe(settings.length * 6);
  settings.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, i * 6);
    payload.writeUInt32BE(value, i * 6 + 2);
  });
  return payload;
}

function windowUpdate(streamId: number, increment: number): Buffer {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(increment, 0);
  return frame(FrameType.WINDOW_UPDATE, 0, streamId, payload);
}

function rstStream(streamId: number, code: number): Buffer {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(code, 0);
  return frame(FrameType.RST_STREAM, 0, streamId, payload);
}

function goAwayFrame(lastStreamId: number, code: number, debug = ""): Buffer {
  const payload = Buffer.allocUnsafe(8 + Buffer.byteLength(debug));
  payload.writeUInt32BE(lastStreamId, 0);
  payload.writeUInt32BE(code, 4);
  payload.write(debug, 8);
  return frame(FrameType.GOAWAY, 0, 0, payload);
}
