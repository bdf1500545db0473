/** Sign-in: an access token, checked against `GET /api/user` before it is kept. */
import type { ServiceUser } from "@stackyard/protocol";
import { Api, ApiError } from "../api.js";
import { h } from "../dom.js";
import { errorBox } from "../widgets.js";

export function signinScreen(onSignedIn: (token: string, user: ServiceUser) => void, reason?: string): HTMLElement {
  const input = h("input", { type: "password", name: "token", id: "token", placeholder: "pul-…", autocomplete: "off", testid: "token-input" });
  const problem = h("div", null, reason ? errorBox(new Error(reason)) : null);
  const button = h("button", { type: "submit", testid: "signin-button" }, "Sign in");
  const form = h(
    "form",
    {
      class: "signin panel",
      testid: "signin",
      onsubmit: (ev) => {
        ev.preventDefault();
        const token = input.value.trim();
        if (token === "") {
          problem.replaceChildren(errorBox(new Error("Enter an access token.")));
          return;
        }
        button.disabled = true;
        new Api(token)
          .get<ServiceUser>("/api/user")
          .then((user) => onSignedIn(token, user))
          .catch((err: unknown) => {
            const e = err instanceof ApiError && err.status === 401 ? new Error("That token is not valid for this service.") : err;
            problem.replaceChildren(errorBox(e));
          })
          .finally(() => {
            button.disabled = false;
          });
      },
    },
    h("h1", null, "Sign in to Stackyard"),
    h("p", { class: "muted" }, "Use an access token: the one “stackyard serve” printed on its first start, or one made with POST /api/user/tokens."),
    h("label", { for: "token" }, "Access token"),
    input,
    button,
    problem,
  );
  return form;
}
