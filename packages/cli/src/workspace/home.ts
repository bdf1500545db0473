/** PULUMI_HOME: credentials.json and the per-project stack selection files (§5.6). */
import { createHash } from "node:crypto";
import { homedir } from "node:os";
import { join } from "node:path";
import { readFileIfExists, updateFileLocked } from "./fs-util.js";

export type Env = Record<string, string | undefined>;

export function pulumiHome(env: Env = process.env): string {
  const home = env["PULUMI_HOME"];
  return home ? home : join(homedir(), ".pulumi");
}

export interface TokenInformation {
  name: string;
  organization?: string;
  team?: string;
}

export interface Account {
  accessToken?: string;
  username?: string;
  organizations?: string[];
  lastValidatedAt?: string;
  insecure?: boolean;
  tokenInformation?: TokenInformation;
  [extra: string]: unknown;
}

export interface Credentials {
  current?: string;
  accessTokens?: Record<string, string>;
  accounts?: Record<string, Account>;
  [extra: string]: unknown;
}

export function credentialsPath(home: string): string {
  return join(home, "credentials.json");
}

export function parseCredentials(text: string | undefined, path = "credentials.json"): Credentials {
  if (text === undefined || text.trim() === "") return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Credentials) : {};
  } catch (err) {
    throw new Error(`failed to read Pulumi credentials file ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export async function readCredentials(home: string): Promise<Credentials> {
  const path = credentialsPath(home);
  return parseCredentials(await readFileIfExists(path), path);
}

/** Read-modify-write under the file's lock; Go writes it with 4-space indentation. */
export async function updateCredentials(home: string, change: (creds: Credentials) => Credentials): Promise<void> {
  const path = credentialsPath(home);
  await updateFileLocked(path, (text) => `${JSON.stringify(change(parseCredentials(text, path)), null, 4)}\n`);
}

/** Records a login to `url` and makes it current (§5.6 layout). */
export function withLogin(creds: Credentials, url: string, account: Account = {}): Credentials {
  const accessTokens = { ...(creds.accessTokens ?? {}), [url]: account.accessToken ?? "" };
  const accounts = { ...(creds.accounts ?? {}), [url]: { ...account, lastValidatedAt: account.lastValidatedAt ?? new Date().toISOString() } };
  return { ...creds, current: url, accessTokens, accounts };
}

/** Forgets `url` (and clears `current` when it pointed there). */
export function withLogout(creds: Credentials, url: string): Credentials {
  const next: Credentials = { ...creds };
  if (next.accessTokens) {
    next.accessTokens = { ...next.accessTokens };
    delete next.accessTokens[url];
  }
  if (next.accounts) {
    next.accounts = { ...next.accounts };
    delete next.accounts[url];
  }
  if (next.current === url) delete next.current;
  return next;
}

/** `workspaces/<project>-<sha1 hex of the project file path>-workspace.json`. */
export function workspaceSettingsPath(home: string, projectName: string, projectFilePath: string): string {
  const digest = createHash("sha1").update(projectFilePath).digest("hex");
  return join(home, "workspaces", `${projectName}-${digest}-workspace.json`);
}

interface WorkspaceSettings {
  stack?: string;
  stacks?: Record<string, string>;
  [extra: string]: unknown;
}

function parseWorkspaceSettings(text: string | undefined): WorkspaceSettings {
  if (text === undefined || text.trim() === "") return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === "object" && parsed !== null ? (parsed as WorkspaceSettings) : {};
  } catch {
    return {};
  }
}

/** The stack selected for this project on `backendUrl` (legacy `{"stack": …}` files still count). */
export async function readSelectedStack(home: string, projectName: string, projectFilePath: string, backendUrl: string): Promise<string | undefined> {
  const settings = parseWorkspaceSettings(await readFileIfExists(workspaceSettingsPath(home, projectName, projectFilePath)));
  const selected = settings.stacks?.[backendUrl];
  if (selected) return selected;
  return settings.stack || undefined;
}

/** Selects (or with undefined, unselects) the stack for this project on `backendUrl`. */
export async function writeSelectedStack(
  home: string,
  projectName: string,
  projectFilePath: string,
  backendUrl: string,
  stack: string | undefined,
): Promise<void> {
  await updateFileLocked(workspaceSettingsPath(home, projectName, projectFilePath), (text) => {
    const settings = parseWorkspaceSettings(text);
    const stacks = { ...(settings.stacks ?? {}) };
    if (stack) stacks[backendUrl] = stack;
    else delete stacks[backendUrl];
    const next: WorkspaceSettings = { ...settings, stacks };
    delete next.stack;
    if (Object.keys(stacks).length === 0) delete next.stacks;
    // An empty settings file is removed rather than littering PULUMI_HOME, as Pulumi does.
    if (Object.keys(next).length === 0) return undefined;
    return `${JSON.stringify(next, null, 4)}\n`;
  });
}
