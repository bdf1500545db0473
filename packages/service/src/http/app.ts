/** Assembles the Fastify app: body decoding, authentication, error bodies, audit, routes. */
import Fastify, { type FastifyContextConfig, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { gunzipSync } from "node:zlib";
import { registerAuditRoutes } from "../audit/routes.js";
import { registerConsole } from "../console/static.js";
import { registerDeploymentRoutes } from "../deployments/routes.js";
import { registerIdentityRoutes } from "../identity/routes.js";
import { registerSecretsRoutes } from "../secrets/routes.js";
import { registerStackRoutes } from "../stacks/routes.js";
import { registerUpdateRoutes } from "../updates/routes.js";
import type { Services } from "./context.js";
import { ApiError, errorBody, statusText, unauthorized } from "./errors.js";
import { registerServiceRoutes } from "./service-routes.js";
import { parseAuthorization } from "../identity/tokens.js";

/** Full state files can be tens of megabytes; the CLI halves journal batches on 413. */
export const BODY_LIMIT = 512 * 1024 * 1024;

function decodeBody(req: FastifyRequest, raw: Buffer): unknown {
  const encoding = (req.headers["content-encoding"] ?? "identity").toLowerCase().trim();
  let body = raw;
  if (encoding === "gzip" || encoding === "x-gzip") {
    try {
      // Bigger output chunks cut big state bodies' decompression time by a third; small bodies
      // keep small buffers.
      const chunkSize = Math.min(4 << 20, Math.max(16 << 10, 2 ** Math.ceil(Math.log2(raw.length * 2 + 1))));
      body = gunzipSync(raw, { maxOutputLength: BODY_LIMIT, chunkSize });
    } catch (err) {
      if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw new ApiError(413, "request body is too large");
      throw new ApiError(400, "request body is not valid gzip");
    }
  } else if (encoding !== "identity" && encoding !== "") {
    throw new ApiError(415, `unsupported Content-Encoding '${encoding}'`);
  }
  if (req.routeOptions.config.rawBody) return body;
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString("utf8")) as unknown;
  } catch {
    throw new ApiError(400, "request body is not valid JSON");
  }
}

export function buildApp(services: Services): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT, routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 500 } });

  const routeTable: FastifyInstance["routeTable"] = [];
  app.decorate("routeTable", routeTable);
  // Per-route hooks: only routes that need them pay for them.
  const orgGate = async (req: FastifyRequest) => {
    const org = (req.params as Record<string, string>)["org"];
    if (req.principal && org !== undefined) req.orgAccess = await services.identity.requireOrg(req.principal, org, "read");
  };
  const auditHook = async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const spec = req.routeOptions.config.audit;
    if (!spec || reply.statusCode >= 400 || !req.principal) return payload;
    // A handler that forgot to describe its entry still leaves a trace in the org it acted on.
    const entry = req.auditEntry ?? (req.orgAccess ? { orgId: req.orgAccess.org.id, description: `${req.method} ${req.routeOptions.url}` } : undefined);
    if (!entry) {
      process.stderr.write(`stackyard: ${req.method} ${req.routeOptions.url} succeeded without an audit entry\n`);
      return payload;
    }
    await services.audit.record({
      orgId: entry.orgId, event: spec.event, description: entry.description, sourceIP: req.ip,
      principal: req.principal, requireOrgAdmin: spec.requireOrgAdmin, requireStackAdmin: spec.requireStackAdmin,
    });
    return payload;
  };
  const timingHook = async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const ms = req.receivedAt === undefined ? 0 : Number(process.hrtime.bigint() - req.receivedAt) / 1e6;
    reply.header("Server-Timing", `app;dur=${ms.toFixed(3)}`);
    return payload;
  };
  const append = <T>(existing: T | T[] | undefined, hook: T): T[] => (existing === undefined ? [hook] : Array.isArray(existing) ? [...existing, hook] : [existing, hook]);
  app.addHook("onRoute", (r) => {
    const config = (r.config ?? {}) as FastifyContextConfig;
    // Outsiders are turned away (403; 404 for an unknown org) before their body is even validated.
    const hasBody = !(r.method === "GET" || r.method === "HEAD" || (Array.isArray(r.method) && r.method.every((m) => m === "GET" || m === "HEAD")));
    if (hasBody && r.url.includes(":org") && (config.auth ?? "api") !== "lease") r.preValidation = append(r.preValidation, orgGate) as typeof r.preValidation;
    if (config.audit) r.onSend = append(r.onSend, auditHook) as typeof r.onSend;
    if (config.serverTiming) r.onSend = append(r.onSend, timingHook) as typeof r.onSend;
    for (const method of Array.isArray(r.method) ? r.method : [r.method]) {
      if (method !== "HEAD" || r.url.endsWith(":project")) routeTable.push({ method, url: r.url, config: (r.config ?? {}) as FastifyContextConfig });
    }
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (req, raw, done) => {
    try {
      done(null, decodeBody(req, raw as Buffer));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  app.addHook("onRequest", async (req) => {
    if (req.is404) return;
    if (req.routeOptions.config.serverTiming) req.receivedAt = process.hrtime.bigint();
    const mode = req.routeOptions.config.auth ?? "api";
    if (mode === "none") return;
    const auth = parseAuthorization(req.headers.authorization);
    if (mode === "lease") {
      const p = req.params as Record<string, string>;
      req.update = await services.updates.leaseAuth(p["org"]!, p["project"]!, p["stack"]!, p["updateId"]!, auth?.scheme === "update-token" ? auth.value : undefined, {
        allowFinished: req.routeOptions.config.leaseAllowFinished,
      });
      return;
    }
    if (!auth || auth.scheme !== "token") {
      if (mode === "optional") return;
      throw unauthorized();
    }
    try {
      req.principal = await services.identity.authenticate(auth.value);
    } catch (err) {
      if (mode === "optional" && err instanceof ApiError && err.status === 401) return;
      throw err;
    }
  });

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof ApiError) return reply.code(err.status).send(errorBody(err.status, err.message, err.errors));
    const e = err as { validation?: unknown; statusCode?: number; message: string; code?: string };
    if (e.validation) return reply.code(400).send(errorBody(400, `${statusText(400)}: ${e.message}`));
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      return reply.code(e.statusCode).send(errorBody(e.statusCode, `${statusText(e.statusCode)}: ${e.message}`));
    }
    req.log.error(err);
    process.stderr.write(`stackyard: ${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}\n`);
    return reply.code(500).send(errorBody(500, `${statusText(500)}: an unexpected error occurred`));
  });

  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send(errorBody(404, `${statusText(404)}: no route for ${req.method} ${req.url.split("?")[0]}`));
  });

  registerServiceRoutes(app, services);
  registerIdentityRoutes(app, services);
  registerStackRoutes(app, services);
  registerUpdateRoutes(app, services);
  registerSecretsRoutes(app, services);
  registerAuditRoutes(app, services);
  registerDeploymentRoutes(app, services);
  registerConsole(app);
  return app;
}
