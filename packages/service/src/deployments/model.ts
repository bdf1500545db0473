/**
 * Pure decisions about deployments: validating and normalizing a create request, which values are
 * secret, the job's step plan, log tokens and paging, masking, and the wire time formats.
 */
import { badRequest } from "../http/errors.js";

export const OPERATIONS = ["update", "preview", "refresh", "destroy", "detect-drift", "remediate-drift"] as const;
export type Operation = (typeof OPERATIONS)[number];

export type DeploymentStatus = "not-started" | "accepted" | "running" | "succeeded" | "failed" | "cancelled" | "skipped";
export type StepStatus = "not-started" | "running" | "succeeded" | "failed" | "cancelled" | "skipped";
export const TERMINAL: readonly DeploymentStatus[] = ["succeeded", "failed", "cancelled", "skipped"];
export const isTerminal = (s: string): boolean => (TERMINAL as readonly string[]).includes(s);

/** A secret as stored: sealed with the stack's data key (base64), never the plaintext. */
export interface Sealed {
  ciphertext: string;
}
/** A value in a stored request: plaintext, or sealed. */
export type StoredValue = string | Sealed;
/** A value as sent: plaintext, `{secret}` to be sealed, or `{ciphertext}` already sealed. */
export type WireValue = string | { secret: string } | Sealed;

export interface GitAuth<V> {
  accessToken?: V;
  sshAuth?: { sshPrivateKey?: V; privateKey?: V; password?: V };
  basicAuth?: { userName?: V; password?: V };
}

export interface GitSource<V> {
  repoURL: string;
  branch?: string;
  commit?: string;
  repoDir?: string;
  gitAuth?: GitAuth<V>;
}

export interface OperationOptions {
  skipInstallDependencies?: boolean;
  skipIntermediateDeployments?: boolean;
  shell?: string;
  deleteAfterDestroy?: boolean;
  remediateIfDriftDetected?: boolean;
}

/** A deployment's settings or request, after normalization; `V` is how secrets are held. */
export interface DeploymentSpec<V> {
  operation?: Operation;
  executorContext?: { executorImage?: string; workingDirectory?: string };
  sourceContext?: { git?: GitSource<V> };
  operationContext?: {
    preRunCommands?: string[];
    environmentVariables?: Record<string, V>;
    options?: OperationOptions;
    oidc?: Record<string, unknown>;
  };
  agentPoolID?: string | null;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Key terms that make an environment variable secret by its name. */
const SECRET_NAME = /(secret|password|passwd|passphrase|token|private|credential|api[_-]?key|access[_-]?key|session[_-]?key|auth)/i;

function entropyBitsPerChar(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/**
 * Whether a plaintext variable "looks" secret: a name with a key term, or a long, dense,
 * random-looking value (paths, URLs and sentences are not).
 */
export function looksSecret(name: string, value: string): boolean {
  if (SECRET_NAME.test(name)) return true;
  if (value.length < 16 || /\s/.test(value) || value.startsWith("/") || value.startsWith(".") || value.includes("://")) return false;
  if (!/[0-9]/.test(value) || !/[A-Za-z]/.test(value)) return false;
  return entropyBitsPerChar(value) >= 3.5;
}

function wireValue(v: unknown, what: string): WireValue {
  if (typeof v === "string") return v;
  if (isRecord(v)) {
    if (typeof v["secret"] === "string") return { secret: v["secret"] };
    if (typeof v["ciphertext"] === "string") return { ciphertext: v["ciphertext"] };
    // The CLI (≥ 3.233) also sends `{isSecret, value}`.
    if (typeof v["value"] === "string") return v["isSecret"] === true ? { secret: v["value"] } : v["value"];
  }
  throw badRequest(`${what} must be a string, {"secret": "…"} or {"ciphertext": "…"}`);
}

function optString(v: unknown, what: string): string | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v !== "string") throw badRequest(`${what} must be a string`);
  return v;
}

function parseGitAuth(v: unknown): GitAuth<WireValue> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isRecord(v)) throw badRequest("sourceContext.git.gitAuth must be an object");
  const out: GitAuth<WireValue> = {};
  if (v["accessToken"] !== undefined && v["accessToken"] !== null) out.accessToken = wireValue(v["accessToken"], "gitAuth.accessToken");
  const ssh = v["sshAuth"];
  if (isRecord(ssh)) {
    const key = ssh["sshPrivateKey"] ?? ssh["privateKey"];
    if (key === undefined || key === null) throw badRequest("gitAuth.sshAuth.sshPrivateKey is required");
    out.sshAuth = { sshPrivateKey: wireValue(key, "gitAuth.sshAuth.sshPrivateKey") };
    if (ssh["password"] !== undefined && ssh["password"] !== null) out.sshAuth.password = wireValue(ssh["password"], "gitAuth.sshAuth.password");
  }
  const basic = v["basicAuth"];
  if (isRecord(basic)) {
    out.basicAuth = {};
    if (basic["userName"] !== undefined) out.basicAuth.userName = wireValue(basic["userName"], "gitAuth.basicAuth.userName");
    if (basic["password"] === undefined || basic["password"] === null) throw badRequest("gitAuth.basicAuth.password is required");
    out.basicAuth.password = wireValue(basic["password"], "gitAuth.basicAuth.password");
  }
  const kinds = [out.accessToken, out.sshAuth, out.basicAuth].filter((x) => x !== undefined).length;
  if (kinds > 1) throw badRequest("gitAuth: only one of accessToken, sshAuth and basicAuth may be given");
  return kinds === 0 ? undefined : out;
}

/**
 * Normalizes a create request or settings body (both spellings Pulumi uses: `repoURL`/`repoUrl`,
 * `operation` at the top or in `operationContext`). Throws 400 with what is wrong.
 */
export function parseSpec(body: unknown, what = "request"): DeploymentSpec<WireValue> {
  if (body === undefined || body === null) return {};
  if (!isRecord(body)) throw badRequest(`the ${what} must be a JSON object`);
  const out: DeploymentSpec<WireValue> = {};
  const oc = body["operationContext"];
  if (oc !== undefined && oc !== null && !isRecord(oc)) throw badRequest("operationContext must be an object");
  const opText = optString(body["operation"], "operation") ?? (isRecord(oc) ? optString(oc["operation"], "operationContext.operation") : undefined);
  if (opText !== undefined) {
    if (!(OPERATIONS as readonly string[]).includes(opText)) throw badRequest(`operation must be one of ${OPERATIONS.join(", ")} (got '${opText}')`);
    out.operation = opText as Operation;
  }
  const ec = body["executorContext"];
  if (isRecord(ec)) {
    out.executorContext = {};
    const image = ec["executorImage"];
    if (typeof image === "string" && image !== "") out.executorContext.executorImage = image;
    else if (isRecord(image) && typeof image["reference"] === "string") out.executorContext.executorImage = image["reference"];
    const wd = optString(ec["workingDirectory"], "executorContext.workingDirectory");
    if (wd) out.executorContext.workingDirectory = wd;
  }
  const sc = body["sourceContext"];
  if (sc !== undefined && sc !== null) {
    if (!isRecord(sc)) throw badRequest("sourceContext must be an object");
    const git = sc["git"];
    if (git !== undefined && git !== null) {
      if (!isRecord(git)) throw badRequest("sourceContext.git must be an object");
      const repoURL = optString(git["repoURL"] ?? git["repoUrl"], "sourceContext.git.repoURL");
      const g: GitSource<WireValue> = { repoURL: repoURL ?? "" };
      const branch = optString(git["branch"], "sourceContext.git.branch");
      const commit = optString(git["commit"], "sourceContext.git.commit");
      if (branch && commit) throw badRequest("sourceContext.git: branch and commit are mutually exclusive");
      if (branch) g.branch = branch;
      if (commit) {
        if (!/^[0-9a-fA-F]{4,64}$/.test(commit)) throw badRequest(`sourceContext.git.commit '${commit}' is not a commit hash`);
        g.commit = commit;
      }
      const repoDir = optString(git["repoDir"], "sourceContext.git.repoDir");
      if (repoDir) {
        if (repoDir.split(/[\\/]/).includes("..") || repoDir.startsWith("/")) throw badRequest("sourceContext.git.repoDir must be a relative path inside the repository");
        g.repoDir = repoDir;
      }
      const auth = parseGitAuth(git["gitAuth"]);
      if (auth) g.gitAuth = auth;
      out.sourceContext = { git: g };
    }
  }
  if (isRecord(oc)) {
    const o: NonNullable<DeploymentSpec<WireValue>["operationContext"]> = {};
    const pre = oc["preRunCommands"];
    if (pre !== undefined && pre !== null) {
      if (!Array.isArray(pre) || !pre.every((c) => typeof c === "string")) throw badRequest("operationContext.preRunCommands must be a list of strings");
      o.preRunCommands = pre as string[];
    }
    const env = oc["environmentVariables"];
    if (env !== undefined && env !== null) {
      if (!isRecord(env)) throw badRequest("operationContext.environmentVariables must be an object");
      o.environmentVariables = {};
      for (const [name, value] of Object.entries(env)) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw badRequest(`environment variable name '${name}' is not valid`);
        o.environmentVariables[name] = wireValue(value, `environment variable '${name}'`);
      }
    }
    const opts = oc["options"];
    if (isRecord(opts)) {
      const options: OperationOptions = {};
      for (const k of ["skipInstallDependencies", "skipIntermediateDeployments", "deleteAfterDestroy", "remediateIfDriftDetected"] as const) {
        if (opts[k] !== undefined && opts[k] !== null) {
          if (typeof opts[k] !== "boolean") throw badRequest(`operationContext.options.${k} must be a boolean`);
          options[k] = opts[k];
        }
      }
      const shell = optString(opts["shell"], "operationContext.options.shell");
      if (shell) options.shell = shell;
      o.options = options;
    }
    const oidc = oc["oidc"];
    if (oidc !== undefined && oidc !== null) {
      if (!isRecord(oidc)) throw badRequest("operationContext.oidc must be an object");
      o.oidc = oidc;
    }
    out.operationContext = o;
  }
  const pool = body["agentPoolID"] ?? body["agentPoolId"];
  if (pool !== undefined) {
    if (pool !== null && typeof pool !== "string") throw badRequest("agentPoolID must be a string or null");
    out.agentPoolID = pool === "" ? null : pool;
  }
  return out;
}

/**
 * Settings are the base, the request overrides: objects merge key by key, lists and scalars are
 * replaced (Pulumi's `inheritSettings`).
 */
export function mergeSpecs<V>(base: DeploymentSpec<V>, over: DeploymentSpec<V>): DeploymentSpec<V> {
  return deepMerge(base as Record<string, unknown>, over as Record<string, unknown>) as DeploymentSpec<V>;
}

function isSecretShape(v: Record<string, unknown>): boolean {
  return typeof v["secret"] === "string" || typeof v["ciphertext"] === "string";
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (v === undefined) continue;
    const prev = out[k];
    out[k] = isRecord(prev) && isRecord(v) && !isSecretShape(v) && !isSecretShape(prev) ? deepMerge(prev, v) : v;
  }
  return out;
}

/** JSON merge-patch (RFC 7386): `null` deletes a key. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return patch;
  const out: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Applies `fn` to every secret-capable value of a spec (env vars and git credentials). */
export async function mapSecrets<A, B>(spec: DeploymentSpec<A>, fn: (v: A, path: string) => Promise<B>): Promise<DeploymentSpec<B>> {
  const out = structuredClone(spec) as unknown as DeploymentSpec<B>;
  const env = spec.operationContext?.environmentVariables;
  if (env) {
    const mapped: Record<string, B> = {};
    for (const [k, v] of Object.entries(env)) mapped[k] = await fn(v, `env:${k}`);
    out.operationContext!.environmentVariables = mapped;
  }
  const auth = spec.sourceContext?.git?.gitAuth;
  if (auth) {
    const a: GitAuth<B> = {};
    if (auth.accessToken !== undefined) a.accessToken = await fn(auth.accessToken, "git:accessToken");
    if (auth.sshAuth) {
      a.sshAuth = {};
      const key = auth.sshAuth.sshPrivateKey ?? auth.sshAuth.privateKey;
      if (key !== undefined) a.sshAuth.sshPrivateKey = await fn(key, "git:sshPrivateKey");
      if (auth.sshAuth.password !== undefined) a.sshAuth.password = await fn(auth.sshAuth.password, "git:sshPassword");
    }
    if (auth.basicAuth) {
      a.basicAuth = {};
      if (auth.basicAuth.userName !== undefined) a.basicAuth.userName = await fn(auth.basicAuth.userName, "git:userName");
      if (auth.basicAuth.password !== undefined) a.basicAuth.password = await fn(auth.basicAuth.password, "git:password");
    }
    out.sourceContext!.git!.gitAuth = a;
  }
  return out;
}

/** Which wire values must be sealed: marked secret, git credentials, or looking like a secret. */
export function mustSeal(v: WireValue, path: string): boolean {
  if (typeof v !== "string") return "secret" in v;
  if (path.startsWith("git:")) return path !== "git:userName";
  return looksSecret(path.slice("env:".length), v);
}

// ---- the job ---------------------------------------------------------------------------------

export type StepKind = "source" | "install" | "prerun" | "operation" | "remediate";
export interface PlannedStep {
  name: string;
  kind: StepKind;
  /** The pre-run command's index. */
  index?: number;
}

/** The steps a deployment runs, named as they appear in logs and in `jobs[0].steps`. */
export function planSteps(spec: DeploymentSpec<unknown>): PlannedStep[] {
  const steps: PlannedStep[] = [{ name: "Get source", kind: "source" }];
  const options = spec.operationContext?.options ?? {};
  if (!options.skipInstallDependencies) steps.push({ name: "Install dependencies", kind: "install" });
  (spec.operationContext?.preRunCommands ?? []).forEach((_c, i) => steps.push({ name: `Pre-run command ${i + 1}`, kind: "prerun", index: i }));
  const op = spec.operation ?? "update";
  // The Pulumi CLI's `--remote` log reader switches to the update's events on a `pulumi <op>` header.
  steps.push({ name: `pulumi ${op}`, kind: "operation" });
  if (op === "detect-drift" && options.remediateIfDriftDetected) steps.push({ name: "pulumi remediate-drift", kind: "remediate" });
  return steps;
}

/** Variables Pulumi Deployments sets itself; a request's values for them are overwritten. */
export const RESERVED_VARIABLES = ["PULUMI_CI_BUILD_URL", "PULUMI_CI_SYSTEM", "PULUMI_CI_BUILD_NUMBER", "PULUMI_CI_BUILD_ID", "PULUMI_ACCESS_TOKEN", "PULUMI_BACKEND_URL"];
export const CI_SYSTEM = "Stackyard Deployments";

export function reservedVariables(d: { id: string; version: number; backendUrl: string; buildUrl: string }): Record<string, string> {
  return {
    PULUMI_CI_BUILD_ID: d.id,
    PULUMI_CI_BUILD_NUMBER: String(d.version),
    PULUMI_CI_SYSTEM: CI_SYSTEM,
    PULUMI_CI_BUILD_URL: d.buildUrl,
    PULUMI_BACKEND_URL: d.backendUrl,
  };
}

// ---- logs ------------------------------------------------------------------------------------

export interface LogToken {
  job: number;
  /** Zero-based step index. */
  step: number;
  /** Position in the step: 0 is its header, n is its (n-1)th line. */
  offset: number;
}

export function formatLogToken(t: LogToken): string {
  return `${t.job}.${t.step}.${t.offset}`;
}

export function parseLogToken(text: string | undefined): LogToken {
  if (text === undefined || text === "") return { job: 0, step: 0, offset: 0 };
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (!m) throw badRequest(`invalid log token '${text}'`);
  return { job: Number(m[1]), step: Number(m[2]), offset: Number(m[3]) };
}

export interface StepLogState {
  status: StepStatus;
  name: string;
  /** Lines stored so far. */
  lineCount: number;
}

export type LogRead = { kind: "header"; step: number; name: string } | { kind: "lines"; step: number; from: number; count: number };

/**
 * Plans one streaming read from `token`: which headers and line ranges to return (at most `limit`
 * lines) and the next token, or none once a finished deployment has nothing more to give.
 */
export function planLogRead(steps: readonly StepLogState[], token: LogToken, finished: boolean, limit: number): { reads: LogRead[]; next: LogToken | undefined } {
  const reads: LogRead[] = [];
  let { step, offset } = token;
  let budget = limit;
  while (step < steps.length && budget > 0) {
    const s = steps[step]!;
    // Steps that never started in a finished deployment (after a failure) have no section.
    if (s.status === "not-started") {
      if (finished) {
        step++;
        offset = 0;
        continue;
      }
      break;
    }
    if (offset === 0) {
      reads.push({ kind: "header", step, name: s.name });
      offset = 1;
    }
    const available = s.lineCount - (offset - 1);
    if (available > 0) {
      const n = Math.min(available, budget);
      reads.push({ kind: "lines", step, from: offset - 1, count: n });
      offset += n;
      budget -= n;
      if (n < available) break;
    }
    if (s.status === "running") break;
    step++;
    offset = 0;
  }
  const done = finished && step >= steps.length;
  return { reads, next: done ? undefined : { job: token.job, step, offset } };
}

/** Replaces every secret value in a line with `[secret]` (longest first, so overlaps mask fully). */
export function maskSecrets(line: string, secrets: readonly string[]): string {
  let out = line;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    if (s.length < 3) continue;
    if (out.includes(s)) out = out.split(s).join("[secret]");
  }
  return out;
}

// ---- wire formats ----------------------------------------------------------------------------

/** `2022-10-17 22:12:34.834`: how the Deployments API writes a deployment's created/modified. */
export function serviceTime(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").replace("Z", "");
}

export const ZERO_TIME = "0001-01-01T00:00:00Z";

/** RFC 3339 for steps and log lines; the zero time for "never". */
export function rfc3339(ms: number): string {
  return ms > 0 ? new Date(ms).toISOString() : ZERO_TIME;
}
