/**
 * The console's screens as URL fragments (`#/stacks/org/project/stack`): links keep working on
 * reload and the service needs no fallback route for them.
 */

export interface StackId {
  org: string;
  project: string;
  stack: string;
}

export type Route =
  | { screen: "signin" }
  | { screen: "stacks" }
  | { screen: "stack"; stack: StackId }
  | { screen: "update"; stack: StackId; kind: string; updateId: string }
  | { screen: "deployments"; stack: StackId }
  | { screen: "deployment"; stack: StackId; deploymentId: string }
  | { screen: "not-found"; path: string };

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** The route a location hash names; an empty hash is the stacks list. */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, "").replace(/^\/+|\/+$/g, "");
  if (path === "" || path === "stacks") return { screen: "stacks" };
  if (path === "signin") return { screen: "signin" };
  const raw = path.split("/");
  const parts = raw.map(decode);
  if (parts.some((p) => p === undefined || p === "")) return { screen: "not-found", path };
  const seg = parts as string[];
  if (seg[0] !== "stacks" || seg.length < 4) return { screen: "not-found", path };
  const stack = { org: seg[1]!, project: seg[2]!, stack: seg[3]! };
  const rest = seg.slice(4);
  if (rest.length === 0) return { screen: "stack", stack };
  if (rest[0] === "deployments") {
    if (rest.length === 1) return { screen: "deployments", stack };
    if (rest.length === 2) return { screen: "deployment", stack, deploymentId: rest[1]! };
    return { screen: "not-found", path };
  }
  if (rest.length === 2) return { screen: "update", stack, kind: rest[0]!, updateId: rest[1]! };
  return { screen: "not-found", path };
}

const enc = encodeURIComponent;
const stackPath = (s: StackId) => `stacks/${enc(s.org)}/${enc(s.project)}/${enc(s.stack)}`;

/** The hash (with `#/`) for a route; `parseRoute(routeHash(r))` gives `r` back. */
export function routeHash(route: Route): string {
  switch (route.screen) {
    case "signin":
      return "#/signin";
    case "stacks":
      return "#/";
    case "stack":
      return `#/${stackPath(route.stack)}`;
    case "update":
      return `#/${stackPath(route.stack)}/${enc(route.kind)}/${enc(route.updateId)}`;
    case "deployments":
      return `#/${stackPath(route.stack)}/deployments`;
    case "deployment":
      return `#/${stackPath(route.stack)}/deployments/${enc(route.deploymentId)}`;
    case "not-found":
      return `#/${route.path}`;
  }
}

/** The REST path of a stack (`/api/stacks/org/project/stack`). */
export function stackApiPath(s: StackId): string {
  return `/api/${stackPath(s)}`;
}
