import assert from "node:assert/strict";
import { test } from "node:test";
import { enginePb } from "../rpc/proto.js";
import { DEBUG_SEVERITY, logSeverity } from "./log-severity.js";

const { LogRequest, LogSeverity } = enginePb;

function logRequest(severity: number, fields: { message?: string; urn?: string; streamId?: number; ephemeral?: boolean } = {}): Uint8Array {
  const r = new LogRequest().setSeverity(severity as never).setMessage(fields.message ?? "a message");
  if (fields.urn) r.setUrn(fields.urn);
  if (fields.streamId) r.setStreamid(fields.streamId);
  if (fields.ephemeral) r.setEphemeral(true);
  return r.serializeBinary();
}

test("reads every severity the generated messages write, whatever the other fields hold", () => {
  for (const severity of [LogSeverity.DEBUG, LogSeverity.INFO, LogSeverity.WARNING, LogSeverity.ERROR]) {
    for (const fields of [{}, { message: "x".repeat(300), urn: "urn:pulumi:dev::p::t::n", streamId: 7, ephemeral: true }, { message: "" }]) {
      assert.equal(logSeverity(logRequest(severity, fields)), severity);
    }
  }
});

test("debug is proto3's default, left off the wire", () => {
  const bytes = logRequest(LogSeverity.DEBUG);
  assert.equal(bytes[0], (2 << 3) | 2, "the message field comes first: there is no severity field");
  assert.equal(logSeverity(bytes), DEBUG_SEVERITY);
  assert.equal(logSeverity(new Uint8Array(0)), DEBUG_SEVERITY);
});

test("the last severity on the wire wins, as decoders merge a repeated scalar", () => {
  const merged = Buffer.concat([logRequest(LogSeverity.ERROR), logRequest(LogSeverity.INFO)]);
  assert.equal(LogRequest.deserializeBinary(merged).getSeverity(), LogSeverity.INFO);
  assert.equal(logSeverity(merged), LogSeverity.INFO);
});

test("fields of other wire types are skipped", () => {
  // field 9 fixed64, field 10 fixed32, then severity WARNING.
  const unknown = Buffer.from([(9 << 3) | 1, 1, 2, 3, 4, 5, 6, 7, 8, (10 << 3) | 5, 1, 2, 3, 4, (1 << 3) | 0, LogSeverity.WARNING]);
  assert.equal(logSeverity(unknown), LogSeverity.WARNING);
});

test("bytes that are not a well-formed message are left to the full decoder", () => {
  const info = logRequest(LogSeverity.INFO, { message: "hello" });
  assert.equal(logSeverity(info.subarray(0, info.length - 2)), undefined, "truncated inside the message");
  assert.equal(logSeverity(Buffer.from([(1 << 3) | 0])), undefined, "a tag without its value");
  assert.equal(logSeverity(Buffer.from([0x88])), undefined, "a truncated varint");
  assert.equal(logSeverity(Buffer.from([(1 << 3) | 2, 1, 0])), undefined, "severity with the wrong wire type");
  assert.equal(logSeverity(Buffer.from([(5 << 3) | 3])), undefined, "a group");
  assert.equal(logSeverity(Buffer.from([(0 << 3) | 0, 1])), undefined, "field number 0");
  assert.equal(logSeverity(Buffer.from([(1 << 3) | 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])), undefined, "a negative enum");
});
