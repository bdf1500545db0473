/** One update: its summary and its engine events as a log, followed live while it runs. */
import type { EngineEvent, GetUpdateEventsResponse, ServiceUpdateInfo } from "@stackyard/protocol";
import { h } from "../dom.js";
import type { LogLine } from "../events.js";
import { eventLines } from "../events.js";
import { durationBetween, formatDuration, formatTimestamp, parseServiceTime } from "../format.js";
import type { StackId } from "../routes.js";
import { stackApiPath } from "../routes.js";
import { changeList, errorBox, note, section, sleep, statusBadge } from "../widgets.js";
import type { ScreenContext } from "./context.js";
import { stackTitle } from "./stack.js";

const POLL_MS = 2000;

export function logLineElement(l: LogLine): HTMLElement {
  return h(
    "div",
    { class: `log-line level-${l.level}`, testid: "log-line", "data-sequence": String(l.sequence) },
    h("span", { class: "log-time" }, l.time),
    h("span", { class: "log-text" }, l.text),
  );
}

function detailsPanel(u: ServiceUpdateInfo | undefined): HTMLElement {
  if (!u) return note("This update is not among the stack's recent history.");
  const i = u.info;
  const rows: [string, Node | string][] = [
    ["Result", statusBadge(i.result, "update-result")],
    ["Kind", i.kind],
    ["Message", i.message || "—"],
    ["Changes", changeList(i.resourceChanges)],
    ["Started", `${formatTimestamp(parseServiceTime(i.startTime))} UTC`],
    ["Finished", i.endTime ? `${formatTimestamp(parseServiceTime(i.endTime))} UTC` : "—"],
    ["Duration", formatDuration(durationBetween(i.startTime, i.endTime))],
    ["Requested by", u.requestedBy?.githubLogin || "—"],
  ];
  return h("dl", { class: "details" }, rows.map(([k, v]) => [h("dt", null, k), h("dd", null, v)]));
}

async function findUpdate(ctx: ScreenContext, stack: StackId, updateId: string): Promise<ServiceUpdateInfo | undefined> {
  try {
    const history = await ctx.api.get<{ updates: ServiceUpdateInfo[] }>(`${stackApiPath(stack)}/updates?output-type=service&page=1&pageSize=100`, ctx.signal);
    return history.updates.find((u) => u.updateID === updateId);
  } catch {
    return undefined; // the details are a nicety; the log below is the point of this screen
  }
}

/** Appends event pages to `log` until the update is finished (continuation token null). */
async function followEvents(ctx: ScreenContext, path: string, log: HTMLElement, status: HTMLElement): Promise<void> {
  let token: string | null | undefined;
  let shown = 0;
  for (;;) {
    const page: GetUpdateEventsResponse = await ctx.api.get(`${path}/events${token ? `?continuationToken=${encodeURIComponent(token)}` : ""}`, ctx.signal);
    const events = [...page.events].sort((a: EngineEvent, b: EngineEvent) => a.sequence - b.sequence);
    for (const e of events) {
      for (const line of eventLines(e)) {
        log.appendChild(logLineElement(line));
        shown++;
      }
    }
    if (page.continuationToken === null) break;
    if (events.length === 0) {
      status.textContent = "Waiting for more events…";
      await sleep(POLL_MS, ctx.signal);
    }
    token = page.continuationToken;
  }
  status.textContent = shown === 0 ? "This update recorded no events." : "";
}

export async function updateScreen(ctx: ScreenContext, stack: StackId, kind: string, updateId: string): Promise<HTMLElement> {
  const path = `${stackApiPath(stack)}/${encodeURIComponent(kind)}/${encodeURIComponent(updateId)}`;
  const info = await findUpdate(ctx, stack, updateId);
  const log = h("div", { class: "log", testid: "event-log" });
  const status = h("p", { class: "muted note", testid: "log-status" }, "Loading events…");
  const logPanel = section("Events", "events", log, status);
  let details = detailsPanel(info);
  followEvents(ctx, path, log, status)
    .then(async () => {
      // A running update's details were a snapshot; show how it ended.
      if (info && info.info.result !== "in-progress" && info.info.result !== "not-started") return;
      const final = await findUpdate(ctx, stack, updateId);
      if (final && !ctx.signal.aborted) {
        const fresh = detailsPanel(final);
        details.replaceWith(fresh);
        details = fresh;
      }
    })
    .catch((err: unknown) => {
      if (ctx.signal.aborted) return;
      status.replaceWith(errorBox(err));
    });
  return h(
    "div",
    { testid: "update-page" },
    stackTitle(stack),
    h("h1", null, info ? `Update #${info.version}` : `Update ${updateId}`, h("span", { class: "muted id" }, ` ${updateId}`)),
    details,
    logPanel,
  );
}
