/** Test helpers: a real service on an ephemeral port over a temp SQLite file, and an HTTP client. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { RunningService, ServiceOptions } from "../index.js";
import { createService } from "../index.js";

export const ADMIN_TOKEN = "pul-0000000000000000000000000000000000000000";

export interface TestService extends RunningService {
  dataDir: string;
  api: Api;
  stop(): Promise<void>;
}

export interface Reply {
  status: number;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- test-only: shapes are asserted field by field
  text: string;
  body: Buffer;
  headers: Headers;
}

export interface CallOptions {
  token?: string | null;
  leaseToken?: string;
  body?: unknown;
  gzip?: boolean;
  headers?: Record<string, string>;
}

export type Api = (method: string, path: string, opts?: CallOptions) => Promise<Reply>;

/** Calls the service the way the Pulumi CLI does (headers of spec §1.2). */
export function apiClient(baseUrl: string, defaultToken: string): Api {
  return async (method, path, opts = {}) => {
    const headers: Record<string, string> = {
      "Content-Type": "application/json",
      Accept: "application/vnd.pulumi+9",
      "User-Agent": "pulumi-cli/1 (3.260.0; linux)",
      ...opts.headers,
    };
    const token = opts.token === undefined ? defaultToken : opts.token;
    if (opts.leaseToken) headers["Authorization"] = `update-token ${opts.leaseToken}`;
    else if (token) headers["Authorization"] = `token ${token}`;
    let payload: Buffer | undefined;
    if (opts.body !== undefined) {
      const raw = Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body));
      payload = opts.gzip ? gzipSync(raw) : raw;
      if (opts.gzip) headers["Content-Encoding"] = "gzip";
    }
    const res = await fetch(baseUrl + path, { method, headers, body: payload ? new Uint8Array(payload) : undefined });
    const body = Buffer.from(await res.arrayBuffer());
    const text = body.toString("utf8");
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text, body, headers: res.headers };
  };
}

export async function startTestService(opts: Partial<ServiceOptions> = {}): Promise<TestService> {
  const dataDir = mkdtempSync(join(tmpdir(), "stackyard-test-"));
  const svc = await createService({ dataDir, port: 0, host: "127.0.0.1", adminToken: ADMIN_TOKEN, log: () => undefined, ...opts });
  return {
    ...svc,
    dataDir,
    api: apiClient(svc.url, ADMIN_TOKEN),
    async stop() {
      await svc.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The body of a `pulumi up` create-update call. */
export function programRequest(dryRun: boolean, config: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: "web", runtime: "nodejs", main: "", description: "",
    options: { localPolicyPackPaths: null, color: "raw", dryRun, parallel: 0, showConfig: false, showReplacementSteps: false, showNames: false, summary: false, debug: false },
    config, metadata: { message: "test", environment: { "exec.kind": "cli" } },
  };
}

export function deployment(resources: { urn: string; type: string; custom: boolean; [k: string]: unknown }[], extra: Record<string, unknown> = {}) {
  return { manifest: { time: "2026-01-01T00:00:00Z", magic: "", version: "v3.260.0" }, ...extra, ...(resources.length ? { resources } : {}) };
}

export function resource(stack: string, name: string, extra: Record<string, unknown> = {}) {
  return { urn: `urn:pulumi:${stack}::web::random:index/randomString:RandomString::${name}`, custom: true, id: `${name}-id`, type: "random:index/randomString:RandomString", outputs: { result: name }, ...extra };
}

/** Creates and starts a real (non-preview) update; returns its id and lease token. */
export async function beginUpdate(api: Api, base: string, opts: { kind?: string; journalVersion?: number; token?: string } = {}): Promise<{ id: string; lease: string; version: number; journalVersion: number }> {
  const created = await api("POST", `${base}/${opts.kind ?? "update"}`, { body: programRequest(false), token: opts.token });
  if (created.status !== 200) throw new Error(`create update: ${created.status} ${created.text}`);
  const id = created.json.updateID as string;
  const started = await api("POST", `${base}/update/${id}`, { body: { tags: null, ...(opts.journalVersion !== undefined ? { journalVersion: opts.journalVersion } : {}) }, token: opts.token });
  if (started.status !== 200) throw new Error(`start update: ${started.status} ${started.text}`);
  return { id, lease: started.json.token, version: started.json.version, journalVersion: started.json.journalVersion };
}
