/**
 * What both ends of a unary gRPC call put on the wire (both servers, through rpc/unary-call.ts, and
 * rpc/unary-client.ts): the length-prefixed message, read under a size limit, and the
 * percent-encoding of grpc-message.
 */

/** A message's prefix: one compressed-flag byte, then its length as a big-endian uint32. */
export const PREFIX_BYTES = 5;

/** `message`, prefixed as one uncompressed gRPC message. */
export function frameMessage(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(PREFIX_BYTES + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, PREFIX_BYTES);
  return frame;
}

/**
 * The one message a unary call's body carries, or what is wrong with the body instead: "none" (too
 * short for a prefix), "compressed" (this side never asks for compression), "not-one" (the prefix's
 * length does not cover exactly the rest).
 */
export function unframeMessage(body: Buffer): Buffer | "none" | "compressed" | "not-one" {
  if (body.length < PREFIX_BYTES) return "none";
  if (body[0] !== 0) return "compressed";
  if (body.readUInt32BE(1) !== body.length - PREFIX_BYTES) return "not-one";
  return body.subarray(PREFIX_BYTES);
}

/** A call's body as its chunks arrive, up to one message of `maxMessageBytes`. */
export class BodyCollector {
  private readonly chunks: Buffer[] = [];
  private received = 0;

  constructor(readonly maxMessageBytes: number) {}

  /** False once the body has outgrown the limit: what came so far is dropped, and nothing after is counted. */
  add(chunk: Buffer): boolean {
    if (this.tooLarge) return false;
    this.received += chunk.length;
    if (this.tooLarge) {
      this.chunks.length = 0;
      return false;
    }
    this.chunks.push(chunk);
    return true;
  }

  get tooLarge(): boolean {
    return this.received > this.maxMessageBytes + PREFIX_BYTES;
  }

  /** The bytes received beyond the prefix, as the limit's error reports them. */
  get messageBytes(): number {
    return this.received - PREFIX_BYTES;
  }

  /** The error a call over the limit is answered with. */
  tooLargeMessage(): string {
    return `received message larger than max (${this.messageBytes} vs. ${this.maxMessageBytes})`;
  }

  body(): Buffer {
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.received);
  }
}

/** grpc-message's encoding: printable ASCII except '%' as is, every other UTF-8 byte as %XX. */
export function percentEncode(message: string): string {
  let out = "";
  for (const byte of Buffer.from(message, "utf8")) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** Undoes percentEncode; a message with a malformed escape is kept as it came. */
export function percentDecode(text: string): string {
  if (!text.includes("%")) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
