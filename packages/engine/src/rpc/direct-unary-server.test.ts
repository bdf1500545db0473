import { test } from "node:test";
import assert from "node:assert/strict";
import { connect as connectHttp2, type ClientHttp2Session } from "node:http2";
import { connect as connectTcp } from "node:net";
import { startDirectUnaryServer } from "./direct-unary-server.js";
import type { UnaryMethod } from "./unary-call.js";
import { frameMessage } from "./wire.js";

// What unary-server.test.ts does not reach through grpc-js: the client's windows and frame sizes,
// PING, and a peer that does not speak HTTP/2.

function request(session: ClientHttp2Session, path: string, message: Uint8Array) {
  return new Promise<{ status: number; grpcStatus: string | undefined; body: Buffer }>((resolve, reject) => {
    const req = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc" });
    const chunks: Buffer[] = [];
    let status = 0;
    let grpcStatus: string | undefined;
    req.on("response", (headers) => {
      status = Number(headers[":status"]);
      grpcStatus ??= headers["grpc-status"] as string | undefined;
    });
    req.on("trailers", (trailers) => (grpcStatus = trailers["grpc-status"] as string | undefined));
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve({ status, grpcStatus, body: Buffer.concat(chunks) }));
    req.on("error", reject);
    req.end(frameMessage(message));
  });
}

test("a response larger than the client's windows waits for its WINDOW_UPDATEs and arrives whole", async () => {
  const big = Buffer.alloc(300 * 1024, 7);
  big.write("end", big.length - 3);
  const methods = new Map<string, UnaryMethod>([["/t.S/Big", () => big]]);
  const server = await startDirectUnaryServer(methods, { maxMessageBytes: 1024 });
  // A 1 KiB stream window, and the connection's left at 64 KiB: the answer needs many updates of both.
  const session = connectHttp2(`http://${server.address}`, { settings: { initialWindowSize: 1024 } });
  try {
    const answers = await Promise.all([request(session, "/t.S/Big", new Uint8Array(0)), request(session, "/t.S/Big", new Uint8Array(0))]);
    for (const answer of answers) {
      assert.equal(answer.status, 200);
      assert.equal(answer.grpcStatus, "0");
      assert.deepEqual(answer.body, frameMessage(big));
    }
  } finally {
    session.close();
    await server.close(100);
  }
});

test("many calls on one connection: headers stay decodable as the client's dynamic table turns over", async () => {
  const methods = new Map<string, UnaryMethod>([["/t.S/Echo", (b) => b]]);
  const server = await startDirectUnaryServer(methods, { maxMessageBytes: 1024 * 1024 });
  const session = connectHttp2(`http://${server.address}`);
  try {
    for (let round = 0; round < 20; round++) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) => {
          // Fresh header values each call fill and evict the client's encoder table.
          const req = session.request({ ":method": "POST", ":path": "/t.S/Echo", "content-type": "application/grpc", "x-call": `${round}-${i}-${"v".repeat(i * 7)}` });
          const chunks: Buffer[] = [];
          return new Promise<Buffer>((resolve, reject) => {
            req.on("data", (c: Buffer) => chunks.push(c));
            req.on("end", () => resolve(Buffer.concat(chunks)));
            req.on("error", reject);
            req.end(frameMessage(Buffer.from(`call ${round}/${i}`)));
          });
        }),
      );
      answers.forEach((body, i) => assert.deepEqual(body, frameMessage(Buffer.from(`call ${round}/${i}`))));
    }
  } finally {
    session.close();
    await server.close(100);
  }
});

test("PING is answered", async () => {
  const server = await startDirectUnaryServer(new Map(), { maxMessageBytes: 1024 });
  const session = connectHttp2(`http://${server.address}`);
  try {
    await new Promise((resolve) => session.once("connect", resolve));
    const ok = await new Promise<boolean>((resolve, reject) => session.ping(Buffer.from("12345678"), (err, _ms, payload) => (err ? reject(err) : resolve(payload.toString() === "12345678"))));
    assert.equal(ok, true);
  } finally {
    session.close();
    await server.close(100);
  }
});

test("a peer that does not open with the HTTP/2 preface is disconnected", async () => {
  const server = await startDirectUnaryServer(new Map(), { maxMessageBytes: 1024 });
  try {
    const [host, port] = server.address.split(":");
    const socket = connectTcp(Number(port), host);
    const received: Buffer[] = [];
    socket.on("data", (c: Buffer) => received.push(c));
    socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await new Promise((resolve) => socket.once("close", resolve));
    // Whatever came back (the server's SETTINGS, a GOAWAY) is HTTP/2 frames, never an HTTP/1 answer.
    assert.ok(!Buffer.concat(received).toString("latin1").includes("HTTP/1.1"));
  } finally {
    await server.close(100);
  }
});
