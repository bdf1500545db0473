/**
 * Serves the console (packages/console) at `/console/`: its HTML and CSS from `public/` and its
 * compiled browser modules from `dist/app/`. The console signs in with an access token of its own,
 * so these routes need none; API routes are untouched.
 */
import type { FastifyInstance } from "fastify";
import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const CONSOLE_PREFIX = "/console/";

const CONTENT_TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
};

/** Only the console's own origin, no inline script or style, no framing. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** The console package beside this one in the workspace (or `STACKYARD_CONSOLE_DIR`), if built. */
export function consoleRoot(): string | undefined {
  const dir = process.env["STACKYARD_CONSOLE_DIR"] || fileURLToPath(new URL("../../../console/", import.meta.url));
  return existsSync(join(dir, "public", "index.html")) && existsSync(join(dir, "dist", "app", "main.js")) ? dir : undefined;
}

/**
 * The file a path below `/console/` names, relative to the console package, or undefined for
 * anything that is not one of the console's files (no dot-segments, no source maps, no tests).
 */
export function consoleFile(rest: string): string | undefined {
  if (rest === "" || rest === "index.html") return "public/index.html";
  const segments = rest.split("/");
  if (!segments.every((s) => /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(s))) return undefined;
  const ext = /\.([a-z]+)$/.exec(rest)?.[1];
  if (!ext || !(ext in CONTENT_TYPES)) return undefined;
  if (segments[0] === "app") return ext === "js" && !rest.endsWith(".test.js") ? `dist/${rest}` : undefined;
  return segments.length === 1 ? `public/${rest}` : undefined;
}

/** Registers the console's routes when its files are present; true when it did. */
export function registerConsole(app: FastifyInstance, root = consoleRoot()): boolean {
  if (!root) return false;
  const config = { auth: "none" as const };
  app.get("/", { config }, async (_req, reply) => reply.redirect(CONSOLE_PREFIX));
  const serve = async (rest: string, ifNoneMatch: string | undefined, reply: import("fastify").FastifyReply) => {
    const file = consoleFile(rest);
    if (!file) return reply.code(404).send({ code: 404, message: `Not Found: no console file '${rest}'` });
    const path = join(root, file);
    let info;
    try {
      info = await stat(path);
    } catch {
      return reply.code(404).send({ code: 404, message: `Not Found: no console file '${rest}'` });
    }
    const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
    const ext = /\.([a-z]+)$/.exec(file)![1]!;
    reply.header("ETag", etag).header("Cache-Control", "no-cache").header("X-Content-Type-Options", "nosniff");
    if (ext === "html") reply.header("Content-Security-Policy", CSP).header("Referrer-Policy", "no-referrer");
    if (ifNoneMatch === etag) return reply.code(304).send();
    return reply.type(CONTENT_TYPES[ext]!).send(await readFile(path));
  };
  app.get("/console", { config }, async (req, reply) => serve("", req.headers["if-none-match"], reply));
  app.get(`${CONSOLE_PREFIX}*`, { config }, async (req, reply) => serve((req.params as Record<string, string>)["*"] ?? "", req.headers["if-none-match"], reply));
  return true;
}
