/**
 * The severity of a serialized `pulumirpc.LogRequest`, read without decoding the message. The Node
 * SDK sends three debug logs per resource, which nobody sees unless asked (`-v`), so the Engine
 * service answers those from this skim and decodes only the logs it forwards.
 */

/** `pulumirpc.LogSeverity.DEBUG`: proto3 leaves it off the wire, as the default of field 1. */
export const DEBUG_SEVERITY = 0;

const SEVERITY_FIELD = 1;
const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

/** Field 1's value (the last one, as protobuf decoders take it), 0 when absent; undefined when the bytes are not a well-formed message. */
export function logSeverity(bytes: Uint8Array): number | undefined {
  let severity = DEBUG_SEVERITY;
  let at = 0;
  const varint = (): number | undefined => {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (at >= bytes.length) return undefined;
      const byte = bytes[at++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
    // Ten-byte varints (negative enums) are valid protobuf, but no severity is one: decode fully.
    return undefined;
  };
  while (at < bytes.length) {
    const tag = varint();
    if (tag === undefined) return undefined;
    const field = Math.floor(tag / 8);
    if (field === SEVERITY_FIELD && (tag & 7) !== VARINT) return undefined;
    switch (tag & 7) {
      case VARINT: {
        const value = varint();
        if (value === undefined) return undefined;
        if (field === SEVERITY_FIELD) severity = value;
        break;
      }
      case FIXED64:
        at += 8;
        break;
      case LENGTH_DELIMITED: {
        const length = varint();
        if (length === undefined) return undefined;
        at += length;
        break;
      }
      case FIXED32:
        at += 4;
        break;
      default:
        return undefined;
    }
    if (field === 0 || at > bytes.length) return undefined;
  }
  return severity;
}
