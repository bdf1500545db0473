/**
 * The console in a real browser (Debian's Chromium driven by playwright-core) against a real
 * service: sign in, stacks list, a stack's outputs, resources and history, an update's events,
 * deployments and their step logs, sign out. Stacks, updates and the deployment are made through
 * the service's own HTTP protocols (the CLI's and the runner's).
 *
 * Set STACKYARD_CONSOLE_SCREENSHOTS=<dir> to keep a screenshot of each screen.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { BrowserContext, Page } from "playwright-core";
import type { EngineEvent, StepEventMetadata, StepOp } from "@stackyard/protocol";
import { consoleRoot } from "@stackyard/service/console/static";
import type {} from "@stackyard/service/deployments/routes"; // the app's `deployments` decoration
import type { Api, TestService } from "@stackyard/service/testing/harness";
import { ADMIN_TOKEN, programRequest, startTestService } from "@stackyard/service/testing/harness";

const CHROMIUM = process.env["STACKYARD_CHROMIUM"] || "/usr/bin/chromium";
const SKIP = !existsSync(CHROMIUM)
  ? `${CHROMIUM} is absent: install Debian's chromium (apt-get install -y chromium) to run the console's browser test`
  : consoleRoot() === undefined
    ? "packages/console is not built"
    : false;
const SHOTS = process.env["STACKYARD_CONSOLE_SCREENSHOTS"];
const ORG = "stackyard";
const T0 = 1767225600; // 2026-01-01T00:00:00Z

const urn = (type: string, name: string) => `urn:pulumi:dev::web::${type}::${name}`;
const STACK_URN = urn("pulumi:pulumi:Stack", "web-dev");
const PROVIDER_URN = urn("pulumi:providers:random", "default_4_16_0");
const RANDOM = "random:index/randomString:RandomString";
const SECRET_SIG = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" };

function state(names: string[]): Record<string, unknown> {
  return {
    manifest: { time: "2026-01-01T00:00:00Z", magic: "", version: "v3.270.0" },
    resources: [
      { urn: STACK_URN, custom: false, type: "pulumi:pulumi:Stack", outputs: { url: "https://web.example.test/dev", dbPassword: { ...SECRET_SIG, ciphertext: "v1:c2VjcmV0" } } },
      { urn: PROVIDER_URN, custom: true, id: "5f2e0c1a-provider", type: "pulumi:providers:random", inputs: {}, outputs: {} },
      ...names.map((n) => ({ urn: urn(RANDOM, n), custom: true, id: `${n}-8c1f`, type: RANDOM, parent: STACK_URN, provider: `${PROVIDER_URN}::5f2e0c1a-provider`, inputs: { length: 8 }, outputs: { result: `${n}-8c1f` } })),
    ],
  };
}

function meta(op: StepOp, u: string, type: string): StepEventMetadata {
  return { op, urn: u, type, old: null, new: null, detailedDiff: null, provider: "", logical: true };
}

function events(names: string[], result: "succeeded" | "failed"): EngineEvent[] {
  const body: Omit<EngineEvent, "sequence" | "timestamp">[] = [
    { preludeEvent: { config: { "web:size": "2" } } },
    { resourcePreEvent: { metadata: meta("create", STACK_URN, "pulumi:pulumi:Stack") } },
    ...names.flatMap((n) => [
      { resourcePreEvent: { metadata: meta("create", urn(RANDOM, n), RANDOM) } },
      { resOutputsEvent: { metadata: meta("create", urn(RANDOM, n), RANDOM) } },
    ]),
    { diagnosticEvent: { message: "hello from the program\n", color: "raw", severity: "info" as const } },
    ...(result === "failed" ? [{ diagnosticEvent: { urn: urn(RANDOM, "gamma"), message: "<{%fg 1%}>quota exceeded<{%reset%}>\n", color: "raw", severity: "error" as const } }] : []),
    { summaryEvent: { maybeCorrupt: false, durationSeconds: 4, resourceChanges: { create: names.length + (result === "succeeded" ? 1 : 0) }, PolicyPacks: {}, isPreview: false, result } },
  ];
  return body.map((b, i) => ({ sequence: i, timestamp: T0 + i, ...b }) as EngineEvent);
}

async function ok(api: Api, method: string, path: string, opts: Parameters<Api>[2] = {}): Promise<Record<string, unknown>> {
  const r = await api(method, path, opts);
  assert.ok(r.status >= 200 && r.status < 300, `${method} ${path}: ${r.status} ${r.text}`);
  return (r.json ?? {}) as Record<string, unknown>;
}

/** One update the way the CLI runs it against the service: create, start, checkpoint, events, complete. */
async function runUpdate(api: Api, base: string, message: string, names: string[], result: "succeeded" | "failed"): Promise<string> {
  const req = programRequest(false);
  const created = await ok(api, "POST", `${base}/update`, { body: { ...req, metadata: { message, environment: { "exec.kind": "cli" } } } });
  const id = created["updateID"] as string;
  const started = await ok(api, "POST", `${base}/update/${id}`, { body: { tags: null } });
  const lease = started["token"] as string;
  await ok(api, "PATCH", `${base}/update/${id}/checkpoint`, { leaseToken: lease, body: { version: 3, deployment: state(names) } });
  await ok(api, "POST", `${base}/update/${id}/events/batch`, { leaseToken: lease, body: { events: events(names, result) } });
  await ok(api, "POST", `${base}/update/${id}/complete`, { leaseToken: lease, body: { status: result } });
  return id;
}

async function runner(url: string, path: string, auth: string, body: unknown = {}): Promise<{ status: number; json: Record<string, unknown> | undefined }> {
  const res = await fetch(`${url}/api/stackyard/runner/${path}`, { method: "POST", headers: { "Content-Type": "application/json", Authorization: auth }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

/** A deployment run to completion through the runner protocol, with logs in two steps. */
async function runDeployment(svc: TestService, base: string): Promise<boolean> {
  const created = await svc.api("POST", `${base}/deployments`, { body: { operation: "update", sourceContext: { git: { repoURL: "https://git.example.test/web.git", branch: "refs/heads/main" } } } });
  if (created.status === 404 || created.status === 501) return false;
  assert.equal(created.status, 200, created.text);
  const id = created.json.id as string;
  const pool = svc.app.deployments.deployments.internalRunnerToken;
  const claim = await runner(svc.url, "claim", `token ${pool}`, { agent: { id: "console-e2e" } });
  assert.equal(claim.status, 200, JSON.stringify(claim.json));
  assert.equal(claim.json!["deploymentId"], id);
  const job = `job-token ${claim.json!["jobToken"] as string}`;
  const step = async (n: number, status: string) => assert.equal((await runner(svc.url, `jobs/${id}/steps/${n}`, job, { status })).status, 200);
  const log = async (n: number, lines: string[]) => assert.equal((await runner(svc.url, `jobs/${id}/logs`, job, { step: n, lines: lines.map((line) => ({ line: `${line}\n` })) })).status, 200);
  await step(1, "running");
  await log(1, ["Cloning https://git.example.test/web.git", "HEAD is now at 1a2b3c4"]);
  await step(1, "succeeded");
  await step(2, "running");
  await log(2, ["added 12 packages in 1s"]);
  await step(2, "succeeded");
  await step(3, "running");
  await log(3, ["Updating (dev)", "Resources: 3 unchanged"]);
  await step(3, "succeeded");
  assert.equal((await runner(svc.url, `jobs/${id}/complete`, job, { status: "succeeded" })).status, 200);
  return true;
}

let svc: TestService;
let context: BrowserContext;
let page: Page;
let userDataDir: string;
let deploymentsAvailable = false;
const pageErrors: string[] = [];

before(async () => {
  if (SKIP) return;
  svc = await startTestService();
  const dev = `/api/stacks/${ORG}/web/dev`;
  await ok(svc.api, "POST", `/api/stacks/${ORG}/web`, { body: { stackName: "dev", tags: { owner: "platform" } } });
  await ok(svc.api, "POST", `/api/stacks/${ORG}/api`, { body: { stackName: "prod" } });
  await runUpdate(svc.api, dev, "first deploy", ["alpha", "beta"], "succeeded");
  await runUpdate(svc.api, dev, "add gamma", ["alpha", "beta", "gamma"], "failed");
  deploymentsAvailable = await runDeployment(svc, dev);

  const { chromium } = await import("playwright-core");
  userDataDir = mkdtempSync(join(tmpdir(), "stackyard-console-chromium-"));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1280, height: 900 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  page.on("pageerror", (err) => pageErrors.push(`pageerror: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error" && !/status of 401/.test(msg.text())) pageErrors.push(`console: ${msg.text()}`);
  });
  // Loopback only: anything else the page tries to load is a bug.
  await context.route((u) => !["127.0.0.1", "localhost"].includes(u.hostname), (route) => {
    pageErrors.push(`off-host request: ${route.request().url()}`);
    return route.abort();
  });
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await context?.close();
  await svc?.stop();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

async function shot(name: string): Promise<void> {
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

const texts = (selector: string) => page.locator(selector).allInnerTexts();

test("console: sign in, stacks, a stack's outputs, resources and history, an update's events, deployments, sign out", { skip: SKIP, timeout: 120_000 }, async () => {
  try {
    await walkThrough();
  } catch (err) {
    await shot("failure").catch(() => undefined);
    throw err;
  }
});

async function walkThrough(): Promise<void> {
  // `/` leads to the console, which asks for a token.
  await page.goto(svc.url + "/");
  assert.equal(new URL(page.url()).pathname, "/console/");
  await page.getByTestId("signin").waitFor();
  await shot("1-signin");

  // A wrong token is refused and not kept.
  await page.getByTestId("token-input").fill("pul-9999999999999999999999999999999999999999");
  await page.getByTestId("signin-button").click();
  await page.getByTestId("error").waitFor();
  assert.match(await page.getByTestId("error").innerText(), /not valid/);
  assert.equal(await page.evaluate(() => localStorage.getItem("stackyard.console.token")), null);

  await page.getByTestId("token-input").fill(ADMIN_TOKEN);
  await page.getByTestId("signin-button").click();
  await page.getByTestId("stacks-table").waitFor();
  assert.equal(await page.getByTestId("user").innerText(), "admin");
  assert.equal(await page.evaluate(() => localStorage.getItem("stackyard.console.token")), ADMIN_TOKEN);

  // Stacks list: org / project / stack, resource count, last update filled in per stack.
  const rows = page.getByTestId("stacks-table").locator("tbody tr");
  assert.equal(await rows.count(), 2);
  const devRow = rows.filter({ hasText: "dev" });
  await devRow.getByText("failed").waitFor();
  const devCells = await devRow.locator("td").allInnerTexts();
  assert.deepEqual(devCells.slice(0, 4), [ORG, "web", "dev", "5"]);
  const prodRow = rows.filter({ hasText: "prod" });
  await prodRow.getByText("never").waitFor();
  await shot("2-stacks");

  // Stack page: outputs (the secret masked), resources, update history.
  await devRow.getByTestId("stack-link").click();
  await page.getByTestId("stack-page").waitFor();
  assert.match(page.url(), /#\/stacks\/stackyard\/web\/dev$/);
  assert.equal(await page.getByTestId("stack-version").innerText(), "2");
  const outputs = await texts('[data-testid="outputs-table"] tbody tr');
  assert.deepEqual(outputs.map((r) => r.replace(/\s+/g, " ").trim()), ["dbPassword [secret]", "url https://web.example.test/dev"]);
  assert.ok(!(await page.content()).includes("c2VjcmV0"), "no ciphertext on the page");
  const resources = await page.getByTestId("resources-table").locator("tbody tr").allInnerTexts();
  assert.equal(resources.length, 5);
  const gamma = resources.find((r) => r.includes("gamma"));
  assert.ok(gamma, resources.join("\n"));
  assert.match(gamma, new RegExp(`${RANDOM.replace(/[/]/g, "\\/")}[\\s\\S]*gamma-8c1f[\\s\\S]*${urn(RANDOM, "gamma").replace(/[$/]/g, "\\$&")}`));
  const history = await page.getByTestId("updates-table").locator("tbody tr").allInnerTexts();
  assert.equal(history.length, 2);
  assert.match(history[0]!, /#2[\s\S]*update[\s\S]*failed[\s\S]*add gamma[\s\S]*\+3 created/);
  assert.match(history[1]!, /#1[\s\S]*update[\s\S]*succeeded[\s\S]*first deploy[\s\S]*\+3 created/);
  await shot("3-stack");

  // Update page: the engine events as a log, ending in the summary.
  await page.getByTestId("updates-table").locator("tbody tr").nth(1).getByTestId("update-link").click();
  await page.getByTestId("update-page").waitFor();
  await page.getByTestId("log-line").filter({ hasText: "Update succeeded" }).waitFor();
  const log = await texts('[data-testid="log-line"]');
  assert.deepEqual(log.map((l) => l.replace(/\s+/g, " ").trim()), [
    "00:00:00 Configuration: web:size",
    "00:00:01 + pulumi:pulumi:Stack web-dev creating",
    `00:00:02 + ${RANDOM} alpha creating`,
    `00:00:03 + ${RANDOM} alpha created`,
    `00:00:04 + ${RANDOM} beta creating`,
    `00:00:05 + ${RANDOM} beta created`,
    "00:00:06 hello from the program",
    "00:00:07 Update succeeded: 3 created; duration 4s",
  ]);
  assert.equal(await page.getByTestId("update-result").innerText(), "succeeded");
  await shot("4-update");

  // A reload keeps the session and the screen.
  await page.reload();
  await page.getByTestId("log-line").filter({ hasText: "Update succeeded" }).waitFor();

  // The failed update shows its error diagnostic without colour markup.
  await page.goBack();
  await page.getByTestId("updates-table").locator("tbody tr").first().getByTestId("update-link").click();
  await page.getByTestId("log-line").filter({ hasText: "quota exceeded" }).waitFor();
  assert.equal(await page.locator(".level-error").first().innerText().then((t) => t.includes("<{%")), false);

  // Deployments: the list and one deployment's step logs (or a clear note when the service has none).
  await page.goto(`${svc.url}/console/#/stacks/${ORG}/web/dev/deployments`);
  await page.getByTestId("deployments-page").waitFor();
  if (deploymentsAvailable) {
    await page.getByTestId("deployments-table").waitFor();
    const list = await page.getByTestId("deployments-table").locator("tbody tr").allInnerTexts();
    assert.equal(list.length, 1);
    assert.match(list[0]!, /#1[\s\S]*update[\s\S]*succeeded[\s\S]*admin/);
    await shot("5-deployments");
    await page.getByTestId("deployment-link").click();
    await page.getByTestId("deployment-page").waitFor();
    await page.getByTestId("log-line").filter({ hasText: "Resources: 3 unchanged" }).waitFor();
    assert.equal(await page.getByTestId("deployment-status").innerText(), "succeeded");
    const steps = await page.getByTestId("log-step").allInnerTexts();
    assert.equal(steps.length, 3);
    assert.match(steps[0]!, /^Get source[\s\S]*Cloning https:\/\/git\.example\.test\/web\.git[\s\S]*HEAD is now at 1a2b3c4/);
    assert.match(steps[1]!, /^Install dependencies[\s\S]*added 12 packages/);
    assert.match(steps[2]!, /pulumi update[\s\S]*Updating \(dev\)[\s\S]*Resources: 3 unchanged/);
    assert.equal(await page.getByTestId("steps-table").locator("tbody tr").count(), 3);
    await shot("6-deployment");
  } else {
    await page.getByTestId("deployments-unavailable").waitFor();
  }

  // An unknown stack is an error on the page, not a blank screen.
  await page.goto(`${svc.url}/console/#/stacks/${ORG}/web/missing`);
  await page.getByTestId("error").waitFor();

  // Sign out forgets the token.
  await page.getByTestId("signout").click();
  await page.getByTestId("signin").waitFor();
  assert.equal(await page.evaluate(() => localStorage.getItem("stackyard.console.token")), null);

  assert.deepEqual(pageErrors.filter((e) => !/404 \(Not Found\)/.test(e)), []);
}

test("console: an update's page follows its events while it runs and shows how it ended", { skip: SKIP, timeout: 120_000 }, async () => {
  const base = `/api/stacks/${ORG}/web/live`;
  await ok(svc.api, "POST", `/api/stacks/${ORG}/web`, { body: { stackName: "live" } });
  const created = await ok(svc.api, "POST", `${base}/update`, { body: { ...programRequest(false), metadata: { message: "live one", environment: {} } } });
  const id = created["updateID"] as string;
  const lease = (await ok(svc.api, "POST", `${base}/update/${id}`, { body: { tags: null } }))["token"] as string;
  const all = events(["delta"], "succeeded");
  await ok(svc.api, "POST", `${base}/update/${id}/events/batch`, { leaseToken: lease, body: { events: all.slice(0, 3) } });

  await page.goto(`${svc.url}/console/`);
  await page.getByTestId("token-input").fill(ADMIN_TOKEN);
  await page.getByTestId("signin-button").click();
  await page.getByTestId("stacks-table").waitFor();
  await page.goto(`${svc.url}/console/#/stacks/${ORG}/web/live/update/${id}`);
  await page.getByTestId("log-line").filter({ hasText: "delta creating" }).waitFor();
  assert.equal(await page.getByTestId("update-result").innerText(), "in-progress");
  await page.getByTestId("log-status").filter({ hasText: "Waiting for more events" }).waitFor();

  await ok(svc.api, "PATCH", `${base}/update/${id}/checkpoint`, { leaseToken: lease, body: { version: 3, deployment: state(["delta"]) } });
  await ok(svc.api, "POST", `${base}/update/${id}/events/batch`, { leaseToken: lease, body: { events: all.slice(3) } });
  await ok(svc.api, "POST", `${base}/update/${id}/complete`, { leaseToken: lease, body: { status: "succeeded" } });
  await page.getByTestId("log-line").filter({ hasText: "Update succeeded" }).waitFor();
  await page.getByTestId("update-result").filter({ hasText: "succeeded" }).waitFor();
  const log = await texts('[data-testid="log-line"]');
  assert.equal(log.length, 6, log.join("\n"));
  assert.equal(new Set(await page.getByTestId("log-line").evaluateAll((els) => els.map((e) => e.getAttribute("data-sequence")))).size, 6, "no event shown twice");
  assert.deepEqual(pageErrors.filter((e) => !/404 \(Not Found\)/.test(e)), []);
});
