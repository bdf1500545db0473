/**
 * The gRPC transport of `--event-log tcp://…`: one client stream of `pulumirpc.Events/StreamEvents`
 * for the whole operation. Loaded only on demand, since @grpc/grpc-js is slow to import.
 */
import { importModule } from "../launch/import-module.cjs";
import type { EventSink } from "./event-log.js";

interface EventRequestMessage {
  setEvent(value: string): EventRequestMessage;
}

interface EventsProto {
  EventRequest: new () => EventRequestMessage;
}

interface ClientStream {
  write(message: EventRequestMessage): boolean;
  end(): void;
  on(event: "error", listener: (err: Error) => void): unknown;
}

interface EventsClientInstance {
  streamEvents(callback: (err: Error | null) => void): ClientStream;
  close(): void;
}

interface EventsGrpcModule {
  EventsClient: new (address: string, credentials: unknown) => EventsClientInstance;
}

export async function openGrpcSink(address: string, onError?: (err: Error) => void): Promise<EventSink> {
  const grpc = await importModule<typeof import("@grpc/grpc-js")>("@grpc/grpc-js");
  const services = await importStubs<EventsGrpcModule>("events_grpc_pb.js");
  const messages = await importStubs<EventsProto>("events_pb.js");

  const client = new services.EventsClient(address, grpc.credentials.createInsecure());
  let settle: () => void = () => undefined;
  const replied = new Promise<void>((resolve) => {
    settle = resolve;
  });
  const report = (err: Error): void => onError?.(err);
  const stream = client.streamEvents((err) => {
    if (err) report(err);
    settle();
  });
  stream.on("error", report);

  let closed = false;
  return {
    send(line) {
      if (closed) return;
      stream.write(new messages.EventRequest().setEvent(line));
    },
    async close() {
      if (closed) return replied;
      closed = true;
      stream.end();
      await replied;
      client.close();
    },
  };
}

/** The SDK's generated stubs (CommonJS, untyped). */
async function importStubs<T>(file: string): Promise<T> {
  return (await importModule<{ default: T }>(`@pulumi/pulumi/proto/${file}`)).default;
}
