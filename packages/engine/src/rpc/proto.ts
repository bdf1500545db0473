/**
 * The Pulumi protocol's generated messages, as shipped inside `@pulumi/pulumi/proto` (CommonJS,
 * required by rpc/generated.cts).
 * Using the SDK's own classes keeps us byte-compatible with the programs and providers we talk to.
 * The generated service modules (`*_grpc_pb.js`) are not loaded: they load grpc-js, and the engine
 * carries its calls over rpc/unary-server.ts and rpc/unary-client.ts.
 */
export { resourcePb, enginePb, providerPb, languagePb, pluginPb, aliasPb, errorsPb, statusPb, structPb, emptyPb, anyPb } from "./generated.cjs";
import { structPb } from "./generated.cjs";

export type Struct = import("google-protobuf/google/protobuf/struct_pb.js").Struct;

/** A message of the generated classes, as a unary call sends it. */
export interface Message {
  serializeBinary(): Uint8Array;
}

/** A generated message class, as a unary call decodes one of its messages. */
export interface MessageClass<T> {
  deserializeBinary(bytes: Uint8Array): T;
}
export type PropertyObject = Record<string, unknown>;

/** Struct → plain JS (sig-keyed objects stay as they are: that is our in-memory form). */
export function fromStruct(struct: Struct | undefined): PropertyObject {
  return struct ? (struct.toJavaScript() as PropertyObject) : {};
}

/** Plain JS → Struct. `undefined` members are dropped, as the SDK does. */
export function toStruct(value: PropertyObject): Struct {
  return structPb.Struct.fromJavaScript(stripUndefined(value) as never);
}

function stripUndefined(value: PropertyObject): PropertyObject {
  let out: PropertyObject | undefined;
  for (const key in value) {
    const v = value[key];
    if (v === undefined) {
      out ??= { ...value };
      delete out[key];
    } else if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      const inner = stripUndefined(v as PropertyObject);
      if (inner !== v) {
        out ??= { ...value };
        out[key] = inner;
      }
    }
  }
  return out ?? value;
}
