/** The console's entry point: session, shell and hash routing. */
import type { ServiceUser } from "@stackyard/protocol";
import { Api, ApiError, TOKEN_KEY } from "./api.js";
import { h, mount } from "./dom.js";
import type { Route } from "./routes.js";
import { parseRoute, routeHash } from "./routes.js";
import type { ScreenContext } from "./views/context.js";
import { deploymentScreen, deploymentsScreen } from "./views/deployments.js";
import { signinScreen } from "./views/signin.js";
import { stackScreen } from "./views/stack.js";
import { stacksScreen } from "./views/stacks.js";
import { updateScreen } from "./views/update.js";
import { errorBox, link, note } from "./widgets.js";

interface Session {
  api: Api;
  user: ServiceUser;
}

const root = document.getElementById("app")!;
let session: Session | undefined;
let current: AbortController | undefined;

function screenFor(ctx: ScreenContext, route: Route): Promise<HTMLElement> {
  switch (route.screen) {
    case "stacks":
      return stacksScreen(ctx);
    case "stack":
      return stackScreen(ctx, route.stack);
    case "update":
      return updateScreen(ctx, route.stack, route.kind, route.updateId);
    case "deployments":
      return deploymentsScreen(ctx, route.stack);
    case "deployment":
      return deploymentScreen(ctx, route.stack, route.deploymentId);
    case "signin":
    case "not-found":
      return Promise.resolve(note(`Nothing here: #/${route.screen === "not-found" ? route.path : "signin"}`, "not-found"));
  }
}

function shell(s: Session, main: HTMLElement): HTMLElement {
  return h(
    "div",
    { class: "shell" },
    h(
      "header",
      { class: "topbar" },
      link({ screen: "stacks" }, h("span", { class: "brand" }, "Stackyard")),
      h("span", { class: "spacer" }),
      h("span", { class: "user", testid: "user" }, s.user.githubLogin),
      h("button", { type: "button", class: "link-button", testid: "signout", onclick: () => signOut() }, "Sign out"),
    ),
    main,
  );
}

function signOut(reason?: string): void {
  current?.abort();
  session = undefined;
  localStorage.removeItem(TOKEN_KEY);
  showSignin(reason);
}

function showSignin(reason?: string): void {
  mount(root, h("div", { class: "centered" }, signinScreen((token, user) => {
    localStorage.setItem(TOKEN_KEY, token);
    session = { api: new Api(token), user };
    if (parseRoute(location.hash).screen === "signin") location.hash = routeHash({ screen: "stacks" });
    else void render();
  }, reason)));
}

async function render(): Promise<void> {
  current?.abort();
  const s = session;
  if (!s) return showSignin();
  const controller = new AbortController();
  current = controller;
  const route = parseRoute(location.hash);
  if (route.screen === "signin") {
    location.hash = routeHash({ screen: "stacks" });
    return;
  }
  const main = h("main", { class: "content" }, h("p", { class: "muted note" }, "Loading…"));
  mount(root, shell(s, main));
  const ctx: ScreenContext = { api: s.api, user: s.user, signal: controller.signal, now: () => new Date(), navigate: (r) => (location.hash = routeHash(r)) };
  try {
    const screen = await screenFor(ctx, route);
    if (!controller.signal.aborted) mount(main, screen);
  } catch (err) {
    if (controller.signal.aborted) return;
    if (err instanceof ApiError && err.status === 401) return signOut("Your access token is no longer valid; sign in again.");
    mount(main, errorBox(err), h("p", null, link({ screen: "stacks" }, "Back to stacks")));
  }
}

async function start(): Promise<void> {
  const token = localStorage.getItem(TOKEN_KEY);
  if (!token) return showSignin();
  const api = new Api(token);
  try {
    session = { api, user: await api.get<ServiceUser>("/api/user") };
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return signOut("Your access token is no longer valid; sign in again.");
    mount(root, errorBox(err));
    return;
  }
  await render();
}

window.addEventListener("hashchange", () => void render());
void start();
