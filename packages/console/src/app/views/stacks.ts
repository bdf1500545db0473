/** The stacks list: every stack the token can read, with its size and last update. */
import type { ListStacksResponse, ServiceUpdateInfo, StackSummary } from "@stackyard/protocol";
import { ApiError, mapLimited } from "../api.js";
import { h } from "../dom.js";
import { parseServiceTime } from "../format.js";
import { stackApiPath } from "../routes.js";
import { link, note, section, statusBadge, table, timeCell } from "../widgets.js";
import type { ScreenContext } from "./context.js";

async function allStacks(ctx: ScreenContext): Promise<StackSummary[]> {
  const out: StackSummary[] = [];
  let token: string | undefined;
  do {
    const page: ListStacksResponse = await ctx.api.get(`/api/user/stacks${token ? `?continuationToken=${encodeURIComponent(token)}` : ""}`, ctx.signal);
    out.push(...page.stacks);
    token = page.continuationToken;
  } while (token);
  return out.sort((a, b) => `${a.orgName}/${a.projectName}/${a.stackName}`.localeCompare(`${b.orgName}/${b.projectName}/${b.stackName}`));
}

export async function stacksScreen(ctx: ScreenContext): Promise<HTMLElement> {
  const stacks = await allStacks(ctx);
  if (stacks.length === 0) {
    return section("Stacks", "stacks", note("No stacks yet. Create one with “pulumi stack init” after “pulumi login” to this service.", "no-stacks"));
  }
  const lastCells = new Map<string, HTMLElement>();
  const rows = stacks.map((s) => {
    const stack = { org: s.orgName, project: s.projectName, stack: s.stackName };
    const last = h("span", { class: "muted" }, s.lastUpdate ? "" : "…");
    if (s.lastUpdate) last.replaceChildren(timeCell(parseServiceTime(s.lastUpdate), ctx.now()));
    lastCells.set(s.id, last);
    return [
      s.orgName,
      s.projectName,
      link({ screen: "stack", stack }, h("strong", { testid: "stack-link" }, s.stackName)),
      String(s.resourceCount ?? 0),
      last,
    ];
  });
  // The list gives at most a time; each stack's latest update adds its result (and the time
  // when the list has none).
  void mapLimited(stacks, 4, async (s) => {
    const cell = lastCells.get(s.id)!;
    try {
      const latest: ServiceUpdateInfo = await ctx.api.get(`${stackApiPath({ org: s.orgName, project: s.projectName, stack: s.stackName })}/updates/latest`, ctx.signal);
      cell.replaceChildren(timeCell(parseServiceTime(latest.info.endTime || latest.info.startTime), ctx.now()), " ", statusBadge(latest.info.result));
    } catch (err) {
      if (ctx.signal.aborted || s.lastUpdate) return;
      cell.textContent = err instanceof ApiError && err.status === 404 ? "never" : "—";
    }
  });
  return section(`Stacks (${stacks.length})`, "stacks", table(["Organization", "Project", "Stack", "Resources", "Last update"], rows, "stacks-table"));
}
