/**
 * A minimal element builder. Text always goes in as text nodes, never as HTML, so nothing the
 * service returns (resource names, log lines, messages) can inject markup.
 */

export type Child = Node | string | number | null | undefined | false | Child[];

export interface Attrs {
  class?: string;
  href?: string;
  title?: string;
  type?: string;
  id?: string;
  name?: string;
  placeholder?: string;
  autocomplete?: string;
  value?: string;
  colspan?: number;
  role?: string;
  for?: string;
  /** `data-testid`, for end-to-end tests and nothing else. */
  testid?: string;
  onclick?: (ev: MouseEvent) => void;
  onsubmit?: (ev: SubmitEvent) => void;
  [data: `data-${string}`]: string;
}

function append(parent: Node, child: Child): void {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    for (const c of child) append(parent, c);
  } else if (typeof child === "string" || typeof child === "number") {
    parent.appendChild(document.createTextNode(String(child)));
  } else {
    parent.appendChild(child);
  }
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined) continue;
    if (key === "onclick") el.addEventListener("click", value as EventListener);
    else if (key === "onsubmit") el.addEventListener("submit", value as EventListener);
    else if (key === "class") el.className = String(value);
    else if (key === "testid") el.setAttribute("data-testid", String(value));
    else if (key === "value" && el instanceof HTMLInputElement) el.value = String(value);
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

/** Replaces a container's content. */
export function mount(container: Element, ...children: Child[]): void {
  container.replaceChildren();
  append(container, children);
}
