/** Pulumi Deployments of a stack: the list, and one deployment's steps and logs. */
import { ApiError } from "../api.js";
import { h } from "../dom.js";
import { durationBetween, formatDuration, formatTimestamp, parseServiceTime } from "../format.js";
import type { StackId } from "../routes.js";
import { stackApiPath } from "../routes.js";
import { errorBox, link, note, section, sleep, statusBadge, table, timeCell } from "../widgets.js";
import type { ScreenContext } from "./context.js";
import { stackTitle } from "./stack.js";

const POLL_MS = 2000;

interface DeploymentSummary {
  id: string;
  created: string;
  modified: string;
  status: string;
  version: number;
  pulumiOperation?: string;
  requestedBy?: { name?: string; githubLogin?: string };
}

interface DeploymentStep {
  name: string;
  status: string;
  started: string;
  lastUpdated: string;
}

interface DeploymentView extends DeploymentSummary {
  initiator?: string;
  message?: string;
  updates?: { updateID: string; version: number }[];
  jobs?: { status: string; started: string; lastUpdated: string; steps: DeploymentStep[] }[];
  configuration?: { source?: { git?: { repoURL?: string; branch?: string; commit?: string; repoDir?: string } } };
}

interface LogsPage {
  lines: { header?: string; line?: string; timestamp: string }[];
  nextToken?: string;
}

const TERMINAL = new Set(["succeeded", "failed", "skipped"]);

/** Deployments are optional: a service without them answers 404 (no route) or 501. */
function unavailable(err: unknown): HTMLElement | undefined {
  if (err instanceof ApiError && (err.status === 404 || err.status === 501)) {
    return note(`Deployments are not available for this stack on this service (${err.message}).`, "deployments-unavailable");
  }
  return undefined;
}

export async function deploymentsScreen(ctx: ScreenContext, stack: StackId): Promise<HTMLElement> {
  let body: HTMLElement;
  try {
    const raw = await ctx.api.get<DeploymentSummary[] | { deployments: DeploymentSummary[] }>(`${stackApiPath(stack)}/deployments?page=1&pageSize=100`, ctx.signal);
    const list = Array.isArray(raw) ? raw : (raw.deployments ?? []);
    const sorted = [...list].sort((a, b) => b.version - a.version);
    body = sorted.length === 0
      ? note("No deployments yet.", "no-deployments")
      : table(
          ["Version", "Operation", "Status", "Created", "Duration", "By"],
          sorted.map((d) => [
            link({ screen: "deployment", stack, deploymentId: d.id }, h("strong", { testid: "deployment-link" }, `#${d.version}`)),
            d.pulumiOperation ?? "—",
            statusBadge(d.status),
            timeCell(parseServiceTime(d.created), ctx.now()),
            TERMINAL.has(d.status) ? formatDuration(durationBetween(d.created, d.modified)) : "—",
            d.requestedBy?.githubLogin || d.requestedBy?.name || "—",
          ]),
          "deployments-table",
        );
  } catch (err) {
    const u = unavailable(err);
    if (!u) throw err;
    body = u;
  }
  return h("div", { testid: "deployments-page" }, stackTitle(stack), section("Deployments", "deployments", body));
}

function stepsTable(view: DeploymentView): HTMLElement {
  const steps = view.jobs?.[0]?.steps ?? [];
  if (steps.length === 0) return note("No steps have run yet.");
  return table(
    ["Step", "Status", "Started", "Duration"],
    steps.map((s) => [
      s.name,
      statusBadge(s.status),
      formatTimestamp(parseServiceTime(s.started)),
      TERMINAL.has(s.status) ? formatDuration(durationBetween(s.started, s.lastUpdated)) : "—",
    ]),
    "steps-table",
  );
}

/** Streams the whole log (every step, each after its header) until the deployment finishes. */
async function followLogs(ctx: ScreenContext, path: string, log: HTMLElement, status: HTMLElement): Promise<void> {
  let token: string | undefined;
  let group: HTMLElement | undefined;
  let shown = 0;
  for (;;) {
    const page: LogsPage = await ctx.api.get(`${path}/logs${token ? `?nextToken=${encodeURIComponent(token)}` : ""}`, ctx.signal);
    for (const l of page.lines) {
      if (l.header !== undefined) {
        group = h("div", { class: "log-group", testid: "log-step" }, h("div", { class: "log-header" }, l.header));
        log.appendChild(group);
        continue;
      }
      const time = parseServiceTime(l.timestamp);
      (group ?? log).appendChild(h("div", { class: "log-line", testid: "log-line" }, h("span", { class: "log-time" }, time ? formatTimestamp(time).slice(11) : ""), h("span", { class: "log-text" }, (l.line ?? "").replace(/\r?\n$/, ""))));
      shown++;
    }
    if (!page.nextToken) break;
    if (page.lines.length === 0) {
      status.textContent = "Waiting for more output…";
      await sleep(POLL_MS, ctx.signal);
    }
    token = page.nextToken;
  }
  status.textContent = shown === 0 ? "This deployment logged nothing." : "";
}

export async function deploymentScreen(ctx: ScreenContext, stack: StackId, id: string): Promise<HTMLElement> {
  const path = `${stackApiPath(stack)}/deployments/${encodeURIComponent(id)}`;
  let view: DeploymentView;
  try {
    view = await ctx.api.get<DeploymentView>(path, ctx.signal);
  } catch (err) {
    const u = unavailable(err);
    if (!u) throw err;
    return h("div", null, stackTitle(stack), u);
  }
  const git = view.configuration?.source?.git;
  const updates = view.updates ?? [];
  const details: [string, Node | string][] = [
    ["Status", statusBadge(view.status, "deployment-status")],
    ["Operation", view.pulumiOperation ?? "—"],
    ["Created", `${formatTimestamp(parseServiceTime(view.created))} UTC`],
    ["Initiator", view.initiator ?? "—"],
    ["Requested by", view.requestedBy?.githubLogin || view.requestedBy?.name || "—"],
    ["Source", git?.repoURL ? `${git.repoURL}${git.branch ? ` @ ${git.branch}` : ""}${git.commit ? ` (${git.commit.slice(0, 12)})` : ""}${git.repoDir ? ` in ${git.repoDir}` : ""}` : "—"],
    ["Updates", updates.length ? h("span", null, updates.map((u) => link({ screen: "update", stack, kind: view.pulumiOperation ?? "update", updateId: u.updateID }, `#${u.version} `))) : "—"],
  ];
  const log = h("div", { class: "log", testid: "deployment-log" });
  const status = h("p", { class: "muted note", testid: "log-status" }, "Loading logs…");
  followLogs(ctx, path, log, status).catch((err: unknown) => {
    if (!ctx.signal.aborted) status.replaceWith(errorBox(err));
  });
  return h(
    "div",
    { testid: "deployment-page" },
    stackTitle(stack),
    h("h1", null, `Deployment #${view.version}`, h("span", { class: "muted id" }, ` ${view.id}`)),
    view.message ? note(view.message) : null,
    h("dl", { class: "details" }, details.map(([k, v]) => [h("dt", null, k), h("dd", null, v)])),
    section("Steps", "steps", stepsTable(view)),
    section("Logs", "logs", log, status),
  );
}
