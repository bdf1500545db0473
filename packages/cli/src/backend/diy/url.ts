/** `file://` URLs → the directory that holds `.pulumi/`, following Pulumi's rules for `~` and relative paths. */
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";

export interface DiyLocation {
  /** Absolute directory that holds `.pulumi/`. */
  root: string;
  /** Pulumi's canonical form (`file:///abs?no_tmp_dir=true`), used verbatim in lock messages. */
  canonicalUrl: string;
  /** `?create_dir=...` asks for the directory to be made, as gocloud's fileblob does. */
  createDir: boolean;
}

export const FILE_URL_PREFIX = "file://";

export function parseDiyUrl(url: string, cwd: string = process.cwd()): DiyLocation {
  if (!url.startsWith(FILE_URL_PREFIX)) {
    throw new Error(`diy URL ${url} has an illegal prefix; expected one of: file`);
  }
  const rest = url.slice(FILE_URL_PREFIX.length);
  const q = rest.indexOf("?");
  const rawPath = q >= 0 ? rest.slice(0, q) : rest;
  const query = new URLSearchParams(q >= 0 ? rest.slice(q + 1) : "");

  let path = decodeURIComponent(rawPath);
  // The shell never expands `~` inside a URL, so Pulumi does it itself: `~` alone or `~/sub`.
  if (path === "~") path = homedir();
  else if (path.startsWith("~/")) path = join(homedir(), path.slice(2));
  const root = isAbsolute(path) ? resolve(path) : resolve(cwd, path);

  // Pulumi always adds no_tmp_dir=true (unless told false) and the lock message shows it.
  if (!query.has("no_tmp_dir")) query.set("no_tmp_dir", "true");
  else if (query.get("no_tmp_dir") === "false") query.delete("no_tmp_dir");
  const qs = query.toString();
  const slashed = root.split("\\").join("/");
  const canonicalUrl = `${FILE_URL_PREFIX}${slashed.startsWith("/") ? "" : "/"}${slashed}${qs ? `?${qs}` : ""}`;
  const createDir = query.has("create_dir") && query.get("create_dir") !== "false";
  return { root, canonicalUrl, createDir };
}
