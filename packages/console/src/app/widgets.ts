/** Small building blocks shared by the screens. */
import type { ResourceChanges } from "@stackyard/protocol";
import { ApiError } from "./api.js";
import type { Child } from "./dom.js";
import { h } from "./dom.js";
import { changeBadges, formatTimestamp, relativeTime, statusTone } from "./format.js";
import type { Route } from "./routes.js";
import { routeHash } from "./routes.js";

export function link(route: Route, ...children: Child[]): HTMLAnchorElement {
  return h("a", { href: routeHash(route) }, ...children);
}

export function statusBadge(status: string | undefined, testid?: string): HTMLElement {
  return h("span", { class: `badge tone-${statusTone(status)}`, testid }, status ?? "unknown");
}

export function changeList(changes: ResourceChanges | undefined): HTMLElement {
  const badges = changeBadges(changes);
  if (badges.length === 0) return h("span", { class: "muted" }, "no changes");
  return h("span", { class: "changes" }, badges.map((b) => h("span", { class: `change op-${b.op}`, title: `${b.count} ${b.label}` }, `${b.symbol}${b.count} ${b.label}`)));
}

export function timeCell(d: Date | undefined, now: Date): HTMLElement {
  return h("time", { title: d ? `${formatTimestamp(d)} UTC` : "" }, relativeTime(d, now));
}

export function table(headers: string[], rows: Child[][], testid?: string): HTMLElement {
  return h(
    "table",
    { class: "grid", testid },
    h("thead", null, h("tr", null, headers.map((x) => h("th", null, x)))),
    h("tbody", null, rows.map((cells) => h("tr", null, cells.map((c) => h("td", null, c))))),
  );
}

export function section(title: string, testid: string | undefined, ...children: Child[]): HTMLElement {
  return h("section", { class: "panel", testid }, h("h2", null, title), ...children);
}

export function note(text: string, testid?: string): HTMLElement {
  return h("p", { class: "muted note", testid }, text);
}

export function errorBox(err: unknown): HTMLElement {
  const text = err instanceof ApiError ? `${err.message}${err.status ? ` (HTTP ${err.status})` : ""}` : err instanceof Error ? err.message : String(err);
  return h("div", { class: "error", role: "alert", testid: "error" }, text);
}

/** Waits, or rejects as soon as the screen is left. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(t);
      reject(signal.reason);
    }, { once: true });
  });
}
