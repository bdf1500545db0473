import type { ServiceUser } from "@stackyard/protocol";
import type { Api } from "../api.js";
import type { Route } from "../routes.js";

/** What a screen gets: an authenticated client and a signal that fires when it is left. */
export interface ScreenContext {
  api: Api;
  user: ServiceUser;
  signal: AbortSignal;
  now(): Date;
  navigate(route: Route): void;
}
