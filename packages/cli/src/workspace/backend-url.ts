/** Which backend a command talks to, and opening it. */
import type { Backend } from "../backend/backend.js";
import { CliError } from "../cli/errors.js";
import type { Credentials, Env } from "./home.js";

export type BackendUrlSource = "PULUMI_BACKEND_URL" | "Pulumi.yaml" | "credentials";

export const NOT_LOGGED_IN_MESSAGE =
  "you are not logged in to a backend; run `pulumi login <url>` (for example `pulumi login --local` or " +
  "`pulumi login file://<directory>`), or set PULUMI_BACKEND_URL";

/** §5.6 precedence: PULUMI_BACKEND_URL, then Pulumi.yaml `backend.url`, then credentials.json `current`. */
export function resolveBackendUrl(
  env: Env,
  projectBackendUrl: string | undefined,
  credentials: Credentials,
): { url: string; source: BackendUrlSource } | undefined {
  const fromEnv = env["PULUMI_BACKEND_URL"];
  if (fromEnv) return { url: fromEnv, source: "PULUMI_BACKEND_URL" };
  if (projectBackendUrl) return { url: projectBackendUrl, source: "Pulumi.yaml" };
  if (credentials.current) return { url: credentials.current, source: "credentials" };
  return undefined;
}

export function requireBackendUrl(env: Env, projectBackendUrl: string | undefined, credentials: Credentials): string {
  const resolved = resolveBackendUrl(env, projectBackendUrl, credentials);
  if (!resolved) throw new CliError(NOT_LOGGED_IN_MESSAGE);
  return resolved.url;
}

export function backendKind(url: string): "diy" | "service" | undefined {
  if (url.startsWith("file://")) return "diy";
  if (url.startsWith("https://") || url.startsWith("http://")) return "service";
  return undefined;
}

/** file:// → the DIY backend; http(s):// → the service client. Imports lazily to keep start-up light. */
export async function openBackend(
  url: string,
  options: { credentials?: Credentials; env?: Env; cwd?: string } = {},
): Promise<Backend> {
  const credentials = options.credentials ?? {};
  switch (backendKind(url)) {
    case "diy": {
      const { openDiyBackend } = await import("../backend/diy/index.js");
      return await openDiyBackend(url, { ...(options.env ? { env: options.env } : {}), ...(options.cwd ? { cwd: options.cwd } : {}) });
    }
    case "service":
    {
      const { openServiceBackend } = await import("../backend/service/index.js");
      try {
        return await openServiceBackend(url, { credentials, env: options.env ?? process.env });
      } catch (err) {
        throw new CliError(err instanceof Error ? err.message : String(err));
      }
    }
    default:
      throw new CliError(
        `unknown backend cloudUrl format '${url}' (supported Url formats are: azblob://, gs://, s3://, file://, https:// and http://)`,
      );
  }
}
