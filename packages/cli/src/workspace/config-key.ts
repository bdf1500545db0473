/** Config key spelling rules (`ns:name`, `ns:config:name`, bare names, `--path` keys). Pure. */

const KEY_FORM = "(configuration keys should be of the form `<namespace>:<name>`)";

/** Go's config.ParseKey: `ns:name`, or the legacy `ns:config:name` alias. */
export function parseKey(text: string): string {
  const colons = text.split(":").length - 1;
  if (colons === 1) return text;
  if (colons === 2) {
    const [ns, mod, name] = text.split(":") as [string, string, string];
    if (mod === "config" && ns !== "" && name !== "") return `${ns}:${name}`;
  }
  throw new Error(`could not parse ${text} as a configuration key ${KEY_FORM}`);
}

/**
 * A key as typed on the command line → full key. Bare names get the project's namespace; with
 * `--path` only the first segment is namespaced (so `a.b:c` is `proj:a.b:c`).
 */
export function parseConfigKey(text: string, path: boolean, projectName: () => string): string {
  if (path) {
    const cut = text.search(/[[.]/);
    if (cut > 0) {
      const top = parseConfigKey(text.slice(0, cut), false, projectName);
      return top + text.slice(cut);
    }
  }
  if (!text.includes(":")) return parseKey(`${projectName()}:${text}`);
  return parseKey(text);
}

/** The key as Pulumi shows it to people: without the namespace when it is the project's. */
export function prettyKey(fullKey: string, projectName: string | undefined): string {
  const i = fullKey.indexOf(":");
  if (projectName !== undefined && i >= 0 && fullKey.slice(0, i) === projectName) return fullKey.slice(i + 1);
  return fullKey;
}

/** `key=value` of set-all; a quoted key (`"a.b"=v` / `'a.b'=v`) may contain `=`. */
export function parseKeyValuePair(pair: string): { key: string; value: string } {
  let text = pair;
  let sep = "=";
  const first = pair[0];
  if (first === '"' || first === "'") {
    text = pair.slice(1);
    sep = `${first}=`;
  }
  const i = text.indexOf(sep);
  if (i < 0) throw new Error("config value must be in the form [key]=[value]");
  return { key: text.slice(0, i), value: text.slice(i + sep.length) };
}
