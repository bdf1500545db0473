// In-memory stub of the protocol subset state-load.mjs drives: no database, no auth beyond a
// string compare, no durability. It is the floor our service is measured against.
import Fastify from "fastify";
import { gunzipSync } from "node:zlib";
import { createHash, randomUUID } from "node:crypto";

export async function startStub(token) {
  const app = Fastify({ logger: false, bodyLimit: 512 * 1024 * 1024 });
  // same Server-Timing the service reports, so server-side figures compare
  app.addHook("onRequest", async (req) => {
    if (req.routeOptions.config.timing) req.receivedAt = process.hrtime.bigint();
  });
  app.addHook("onSend", async (req, reply, payload) => {
    if (req.receivedAt) reply.header("Server-Timing", `app;dur=${(Number(process.hrtime.bigint() - req.receivedAt) / 1e6).toFixed(3)}`);
    return payload;
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (req, raw, done) => {
    const buf = req.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw;
    if (req.routeOptions.config.raw) return done(null, buf);
    done(null, buf.length ? JSON.parse(buf.toString()) : undefined);
  });
  const stacks = new Map(); // key -> {state: Buffer, version, tags}
  const updates = new Map(); // id -> {stack, lease, checkpoint: Buffer, journal: [], events: Map}
  const auth = (req, reply) => {
    if (req.headers.authorization !== `token ${token}`) { reply.code(401).send({ code: 401, message: "Unauthorized" }); return false; }
    return true;
  };
  const key = (p) => `${p.org}/${p.project}/${p.stack}`;
  const lease = (req) => {
    const u = updates.get(req.params.id);
    if (!u || req.headers.authorization !== `update-token ${u.lease}`) throw Object.assign(new Error("bad lease"), { statusCode: 401 });
    return u;
  };
  const empty = Buffer.from(`{"version":3,"deployment":{"manifest":{"time":"2026-01-01T00:00:00Z","magic":"","version":""}}}`);
  app.get("/api/capabilities", async () => ({ capabilities: [{ capability: "delta-checkpoint-uploads-v2", version: 2, configuration: { checkpointCutoffSizeBytes: 1048576 } }] }));
  app.get("/api/user", async (req, reply) => auth(req, reply) && { githubLogin: "admin", organizations: [{ githubLogin: "bench" }] });
  app.post("/api/stacks/:org/:project", async (req, reply) => {
    if (!auth(req, reply)) return;
    const k = `${req.params.org}/${req.params.project}/${req.body.stackName}`;
    if (stacks.has(k)) return reply.code(409).send({ code: 409, message: "already exists" });
    stacks.set(k, { state: empty, version: 0, tags: req.body.tags ?? {}, name: req.body.stackName, project: req.params.project, org: req.params.org });
    return {};
  });
  app.get("/api/user/stacks", async (req, reply) => {
    if (!auth(req, reply)) return;
    const all = [...stacks.values()];
    const start = Number(req.query.continuationToken ?? 0);
    const page = all.slice(start, start + 1000).map((s) => ({ orgName: s.org, projectName: s.project, stackName: s.name, resourceCount: 0 }));
    return start + 1000 < all.length ? { stacks: page, continuationToken: String(start + 1000) } : { stacks: page };
  });
  app.get("/api/stacks/:org/:project/:stack", async (req, reply) => {
    if (!auth(req, reply)) return;
    const s = stacks.get(key(req.params));
    return s ? { orgName: req.params.org, projectName: req.params.project, stackName: req.params.stack, activeUpdate: "", tags: s.tags, version: s.version } : reply.code(404).send({ code: 404, message: "not found" });
  });
  app.get("/api/stacks/:org/:project/:stack/export", { config: { timing: true } }, async (req, reply) => {
    if (!auth(req, reply)) return;
    return reply.type("application/json").send(stacks.get(key(req.params)).state);
  });
  app.post("/api/stacks/:org/:project/:stack/update", async (req, reply) => {
    if (!auth(req, reply)) return;
    const id = randomUUID();
    updates.set(id, { stack: key(req.params), lease: "", checkpoint: null, seq: 0, hash: "", journal: [], events: new Map() });
    return { updateID: id };
  });
  app.post("/api/stacks/:org/:project/:stack/update/:id", async (req, reply) => {
    if (!auth(req, reply)) return;
    const u = updates.get(req.params.id);
    u.lease = randomUUID();
    return { version: stacks.get(u.stack).version + 1, token: u.lease, tokenExpiration: 0, journalVersion: req.body?.journalVersion ? 1 : 0 };
  });
  const raw = { config: { raw: true, timing: true } };
  app.patch("/api/stacks/:org/:project/:stack/update/:id/checkpoint", raw, async (req, reply) => {
    const u = lease(req);
    const body = JSON.parse(req.body.toString());
    u.checkpoint = Buffer.from(JSON.stringify({ version: body.version, deployment: body.deployment }));
    return reply.code(204).send();
  });
  app.patch("/api/stacks/:org/:project/:stack/update/:id/checkpointverbatim", raw, async (req, reply) => {
    const u = lease(req);
    const body = JSON.parse(req.body.toString());
    u.checkpoint = Buffer.from(JSON.stringify(body.untypedDeployment));
    u.seq = body.sequenceNumber;
    return reply.code(204).send();
  });
  app.patch("/api/stacks/:org/:project/:stack/update/:id/checkpointdelta", async (req, reply) => {
    const u = lease(req);
    const parts = [];
    let last = 0;
    for (const e of req.body.deploymentDelta) {
      parts.push(u.checkpoint.subarray(last, e.Span.start.offset), Buffer.from(e.NewText));
      last = e.Span.end.offset;
    }
    parts.push(u.checkpoint.subarray(last));
    const next = Buffer.concat(parts);
    if (createHash("sha256").update(next).digest("hex") !== req.body.checkpointHash) return reply.code(409).send({ code: 409, message: "hash" });
    u.checkpoint = next;
    return reply.code(204).send();
  });
  app.patch("/api/stacks/:org/:project/:stack/update/:id/journalentries", async (req, reply) => {
    lease(req).journal.push(...req.body.entries);
    return reply.code(204).send();
  });
  app.post("/api/stacks/:org/:project/:stack/update/:id/events/batch", async (req, reply) => {
    const u = lease(req);
    for (const e of req.body.events) u.events.set(e.sequence, e);
    return reply.code(204).send();
  });
  app.post("/api/stacks/:org/:project/:stack/update/:id/renew_lease", async (req) => ({ token: lease(req).lease, tokenExpiration: 0 }));
  app.post("/api/stacks/:org/:project/:stack/update/:id/complete", async (req, reply) => {
    const u = lease(req);
    const s = stacks.get(u.stack);
    if (u.journal.length) {
      // creates only: each success appends its state (all state-load journals need)
      const resources = u.journal.filter((e) => e.kind === 1 && e.state).map((e) => e.state);
      u.checkpoint = Buffer.from(JSON.stringify({ version: 3, deployment: { manifest: { time: new Date().toISOString(), magic: "", version: "" }, resources } }));
    }
    if (u.checkpoint) s.state = u.checkpoint;
    s.version++;
    return reply.code(204).send();
  });
  await app.listen({ port: 0, host: "127.0.0.1" });
  return `http://127.0.0.1:${app.server.address().port}`;
}
