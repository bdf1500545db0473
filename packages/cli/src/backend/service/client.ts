/**
 * HTTP transport to a Pulumi Cloud compatible service: the headers the Pulumi CLI sends, gzip for
 * the bodies it compresses, its retry policy, and its error shape (`[code] message`).
 */
import { gzipSync } from "node:zlib";
import type { ErrorResponse } from "@stackyard/protocol";
import { PULUMI_VERSION } from "@stackyard/engine/version";
import { trustDeferredCaCerts } from "../../launch/deferred-ca.cjs";

/** An error answer from the service; `code` comes from the body when it has one, as in the Pulumi CLI. */
export class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    readonly serviceMessage: string,
  ) {
    super(`[${code}] ${serviceMessage}`);
  }
}

export type Auth = { kind: "token"; value: string } | { kind: "update-token"; value: string } | { kind: "none" };

export interface CallOptions {
  auth?: Auth;
  body?: unknown;
  /** Send the body gzipped (the calls the Pulumi CLI compresses). */
  gzip?: boolean;
  /** Retry on network errors, 5xx and 429 although the method is not a GET (idempotent calls). */
  retry?: boolean;
  /** Extra request headers. */
  headers?: Record<string, string>;
}

const RETRY_ATTEMPTS = 4;
const RETRY_FIRST_DELAY_MS = 1000;
const RETRY_MAX_DELAY_MS = 30_000;

function userAgent(command: string | undefined): string {
  const os = process.platform === "win32" ? "windows" : process.platform;
  return `pulumi-cli/1 (${PULUMI_VERSION}; ${os}${command ? `; cmd=${command}` : ""})`;
}

function authorization(auth: Auth): string | undefined {
  if (auth.kind === "none" || !auth.value) return undefined;
  return `${auth.kind} ${auth.value}`;
}

function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function errorFrom(status: number, text: string): ServiceError {
  try {
    const body = JSON.parse(text) as Partial<ErrorResponse>;
    if (body && typeof body === "object") {
      return new ServiceError(status, typeof body.code === "number" ? body.code : status, body.message ?? text);
    }
  } catch {
    // Not JSON: the status and the raw text, as the Pulumi CLI reports it.
  }
  return new ServiceError(status, status, text || `HTTP ${status}`);
}

export class ServiceClient {
  readonly baseUrl: string;

  constructor(
    url: string,
    readonly apiToken: string,
    private readonly command?: string,
  ) {
    this.baseUrl = url.replace(/\/+$/, "");
  }

  /** Calls the API and decodes its JSON answer (undefined for an empty body). */
  async call<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
    const text = await this.send(method, path, options);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Like `call`, for answers the Pulumi CLI ignores. */
  async send(method: string, path: string, options: CallOptions = {}): Promise<string> {
    const auth = options.auth ?? { kind: "token", value: this.apiToken };
    const headers: Record<string, string> = {
      "Content-Type": "application/json",
      Accept: "application/vnd.pulumi+9",
      "Accept-Encoding": "gzip",
      "User-Agent": userAgent(this.command),
      ...options.headers,
    };
    const authHeader = authorization(auth);
    if (authHeader) headers["Authorization"] = authHeader;
    let body: Blob | string | undefined;
    if (options.body !== undefined) {
      const json = JSON.stringify(options.body);
      if (options.gzip) {
        body = new Blob([gzipSync(json)]);
        headers["Content-Encoding"] = "gzip";
      } else {
        body = json;
      }
    }
    const retryable = method === "GET" || method === "HEAD" || options.retry === true;
    const attempts = retryable ? RETRY_ATTEMPTS : 1;
    let delay = RETRY_FIRST_DELAY_MS;
    for (let attempt = 1; ; attempt++) {
      let status: number;
      let text: string;
      try {
        if (this.baseUrl.startsWith("https:")) trustDeferredCaCerts();
        const res = await fetch(this.baseUrl + path, { method, headers, ...(body !== undefined ? { body } : {}) });
        status = res.status;
        text = await res.text();
        for (const warning of res.headers.get("x-pulumi-warning")?.split(/,\s*/) ?? []) {
          if (warning) process.stderr.write(`warning: ${warning}\n`);
        }
      } catch (err) {
        if (attempt < attempts) {
          await sleep(delay);
          delay = Math.min(delay * 2, RETRY_MAX_DELAY_MS);
          continue;
        }
        const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : "";
        throw new Error(`${method} ${this.baseUrl}${path} failed: ${err instanceof Error ? err.message : String(err)}${cause}`);
      }
      if (status < 400) return text;
      if (retryable && isRetryableStatus(status) && attempt < attempts) {
        await sleep(delay);
        delay = Math.min(delay * 2, RETRY_MAX_DELAY_MS);
        continue;
      }
      throw errorFrom(status, text);
    }
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ServiceError && err.code === 404;
}
