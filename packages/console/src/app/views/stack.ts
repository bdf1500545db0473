/** One stack: its outputs, resources and update history. */
import type { ResourceV3, ServiceUpdateInfo, Stack } from "@stackyard/protocol";
import { h } from "../dom.js";
import { durationBetween, formatDuration, formatValue, isSecret, parseServiceTime, parseUrn } from "../format.js";
import type { StackId } from "../routes.js";
import { stackApiPath } from "../routes.js";
import { changeList, link, note, section, statusBadge, table, timeCell } from "../widgets.js";
import type { ScreenContext } from "./context.js";

/** One resource of `…/resources/latest`, the fields the console shows. */
export type StateResource = Pick<ResourceV3, "urn" | "type" | "id" | "custom" | "parent" | "protect" | "outputs">;

interface ResourcesResponse {
  resources: { resource: StateResource }[];
  version: number;
}

interface HistoryResponse {
  updates: ServiceUpdateInfo[];
  itemsPerPage?: number;
  total?: number;
}

const HISTORY_PAGE = 50;

export function stackTitle(s: StackId): HTMLElement {
  return h(
    "nav",
    { class: "crumbs" },
    link({ screen: "stacks" }, "Stacks"), " / ", s.org, " / ", s.project, " / ",
    link({ screen: "stack", stack: s }, h("strong", null, s.stack)),
  );
}

function outputsPanel(resources: StateResource[]): HTMLElement {
  const root = resources.find((r) => r.type === "pulumi:pulumi:Stack" && !r.parent);
  const outputs = Object.entries(root?.outputs ?? {}).sort(([a], [b]) => a.localeCompare(b));
  if (outputs.length === 0) return section("Outputs", "outputs", note("This stack has no outputs."));
  return section(
    "Outputs", "outputs",
    table(["Name", "Value"], outputs.map(([k, v]) => [h("code", null, k), isSecret(v) ? h("span", { class: "secret" }, "[secret]") : h("code", { class: "value" }, formatValue(v, 500))]), "outputs-table"),
  );
}

function resourcesPanel(resources: StateResource[]): HTMLElement {
  if (resources.length === 0) return section("Resources", "resources", note("This stack has no resources."));
  const rows = resources.map((r) => {
    const parsed = parseUrn(r.urn);
    return [
      h("code", { class: "type" }, r.type),
      h("span", { testid: "resource-name" }, parsed?.name ?? r.urn),
      r.id ? h("code", { class: "id" }, r.id) : h("span", { class: "muted" }, r.custom ? "—" : "component"),
      h("code", { class: "urn" }, r.urn),
    ];
  });
  return section(`Resources (${resources.length})`, "resources", table(["Type", "Name", "ID", "URN"], rows, "resources-table"));
}

function historyPanel(stack: StackId, history: HistoryResponse, now: Date): HTMLElement {
  if (history.updates.length === 0) return section("Updates", "updates", note("No updates yet."));
  const rows = history.updates.map((u) => {
    const i = u.info;
    return [
      link({ screen: "update", stack, kind: i.kind, updateId: u.updateID }, h("strong", { testid: "update-link" }, `#${u.version}`)),
      i.kind,
      statusBadge(i.result, "update-result"),
      i.message ? h("span", { class: "message" }, i.message) : h("span", { class: "muted" }, "—"),
      changeList(i.resourceChanges),
      timeCell(parseServiceTime(i.startTime), now),
      formatDuration(durationBetween(i.startTime, i.endTime)),
      u.requestedBy?.githubLogin || "—",
    ];
  });
  const total = history.total ?? history.updates.length;
  return section(
    `Updates (${total})`, "updates",
    table(["Version", "Kind", "Result", "Message", "Changes", "Started", "Duration", "By"], rows, "updates-table"),
    total > history.updates.length ? note(`Showing the latest ${history.updates.length} of ${total}.`) : null,
  );
}

export async function stackScreen(ctx: ScreenContext, stack: StackId): Promise<HTMLElement> {
  const base = stackApiPath(stack);
  const [info, resources, history] = await Promise.all([
    ctx.api.get<Stack>(base, ctx.signal),
    ctx.api.get<ResourcesResponse>(`${base}/resources/latest`, ctx.signal),
    ctx.api.get<HistoryResponse>(`${base}/updates?output-type=service&page=1&pageSize=${HISTORY_PAGE}`, ctx.signal),
  ]);
  const list = resources.resources.map((r) => r.resource);
  const tags = Object.entries(info.tags ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const op = info.currentOperation;
  return h(
    "div",
    { testid: "stack-page" },
    stackTitle(stack),
    h(
      "div",
      { class: "summary" },
      h("span", null, "Version ", h("strong", { testid: "stack-version" }, String(info.version))),
      h("span", null, "Resources ", h("strong", null, String(list.length))),
      op ? h("span", null, statusBadge("running"), ` ${op.kind} by ${op.author || "someone"}`) : null,
      link({ screen: "deployments", stack }, "Deployments →"),
    ),
    tags.length ? h("div", { class: "tags" }, tags.map(([k, v]) => h("span", { class: "tag", title: `${k}: ${v}` }, `${k}: ${v}`))) : null,
    outputsPanel(list),
    resourcesPanel(list),
    historyPanel(stack, history, ctx.now()),
  );
}
