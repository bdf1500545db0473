/**
 * Service (`http(s)://`) backends: logging in and opening one. The access token comes from
 * PULUMI_ACCESS_TOKEN or from what `pulumi login` stored for the URL, as in the Pulumi CLI.
 */
import { PULUMI_VERSION } from "@stackyard/engine/version";
import type { ServiceUser } from "@stackyard/protocol";
import type { Account, Credentials } from "../../workspace/home.js";
import { ServiceClient, ServiceError } from "./client.js";
import { ServiceBackend, tokenInformationOf } from "./service-backend.js";

export { ServiceBackend } from "./service-backend.js";
export { ServiceClient, ServiceError } from "./client.js";

type Env = Record<string, string | undefined>;

/** The URL as credentials key it: without trailing slashes. */
export function normalizeServiceUrl(url: string): string {
  return url.replace(/\/+$/, "");
}

function storedToken(url: string, credentials: Credentials): string | undefined {
  return credentials.accounts?.[url]?.accessToken || credentials.accessTokens?.[url] || undefined;
}

export function accessTokenFor(url: string, env: Env, credentials: Credentials): string | undefined {
  return env["PULUMI_ACCESS_TOKEN"] || storedToken(normalizeServiceUrl(url), credentials) || storedToken(url, credentials);
}

export async function openServiceBackend(url: string, options: { credentials: Credentials; env: Env }): Promise<ServiceBackend> {
  const normalized = normalizeServiceUrl(url);
  const token = accessTokenFor(normalized, options.env, options.credentials);
  if (!token) {
    throw new Error(`you are not logged in to ${normalized}; run \`pulumi login ${normalized}\` or set PULUMI_ACCESS_TOKEN`);
  }
  const account = options.credentials.accounts?.[normalized];
  const defaultOrg = options.env["PULUMI_DEFAULT_ORGANIZATION"] || (typeof account?.["defaultOrg"] === "string" ? account["defaultOrg"] : undefined);
  try {
    return await ServiceBackend.open(normalized, token, { engineVersion: `v${PULUMI_VERSION}`, ...(defaultOrg ? { defaultOrg } : {}) });
  } catch (err) {
    if (err instanceof ServiceError && err.code === 401) {
      throw new Error(`the access token for ${normalized} is not valid (it may have expired or been revoked); run \`pulumi login ${normalized}\` with a new token`);
    }
    throw err;
  }
}

/** `pulumi login http(s)://…`: checks the token against the service and returns the account to store. */
export async function loginToService(
  url: string,
  options: { insecure: boolean; env: Env; credentials: Credentials; defaultOrg?: string },
): Promise<Account> {
  const normalized = normalizeServiceUrl(url);
  const token = accessTokenFor(normalized, options.env, options.credentials);
  if (!token) {
    throw new Error("PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions");
  }
  let user: ServiceUser;
  try {
    user = await new ServiceClient(normalized, token, "login").call<ServiceUser>("GET", "/api/user");
  } catch (err) {
    if (err instanceof ServiceError && err.code === 401) throw new Error(`problem logging in: unauthorized: the access token is not valid for ${normalized}`);
    throw new Error(`problem logging in: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!user?.githubLogin) throw new Error(`problem logging in: unexpected response from server ${normalized}`);
  const account: Account = {
    accessToken: token,
    username: user.githubLogin,
    organizations: (user.organizations ?? []).map((o) => o.githubLogin),
    lastValidatedAt: new Date().toISOString(),
  };
  if (options.insecure) account.insecure = true;
  if (options.defaultOrg) account["defaultOrg"] = options.defaultOrg;
  const tokenInformation = tokenInformationOf(user);
  if (tokenInformation) account.tokenInformation = tokenInformation;
  return account;
}
