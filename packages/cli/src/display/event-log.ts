/**
 * `--event-log <path|tcp://host:port>`: every engine event (internal ones included), stamped and
 * cleaned, one JSON document each. Writing stops after the operation's cancelEvent.
 */
import { closeSync, constants, openSync, writeSync } from "node:fs";
import type { EngineEvent, EngineEventBody } from "@stackyard/protocol";
import type { ColorMode } from "./colors.js";
import { cleanEvent, createStamper, encodeEventLine, isStamped } from "./convert.js";

export interface EventLog {
  /** Bare bodies are stamped by the log itself; pass stamped events when a display shares them. */
  write(e: EngineEventBody | EngineEvent): void;
  /** Flushes and releases the transport; for gRPC, half-closes and waits for the server's reply. */
  close(): Promise<void>;
}

export interface EventLogOptions {
  now?: () => number;
  /** Transport problems are reported here rather than failing the operation. */
  onError?: (err: Error) => void;
}

export async function openEventLog(target: string, colorMode: ColorMode, options: EventLogOptions = {}): Promise<EventLog> {
  const stamp = createStamper(options.now);
  const sink = target.startsWith("tcp://")
    ? await (await import("./event-log-grpc.js")).openGrpcSink(target.slice("tcp://".length), options.onError)
    : openFileSink(target);
  let ended = false;
  return {
    write(e) {
      if (ended) return;
      const event = cleanEvent(isStamped(e) ? e : stamp(e), colorMode);
      sink.send(encodeEventLine(event));
      if (event.cancelEvent) ended = true;
    },
    close: () => sink.close(),
  };
}

export interface EventSink {
  send(line: string): void;
  close(): Promise<void>;
}

function openFileSink(path: string): EventSink {
  // Truncate + append: the Automation API tails this file while we write it.
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC | constants.O_APPEND, 0o666);
  let open = true;
  return {
    send(line) {
      // Synchronous so a reader never sees a half-written line and nothing is lost on exit.
      if (open) writeSync(fd, line);
    },
    async close() {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  };
}
