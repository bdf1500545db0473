import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** Access tokens look like Pulumi's: `pul-` and 40 hex digits. Only their SHA-256 is stored. */
export function newAccessToken(): string {
  return `pul-${randomBytes(20).toString("hex")}`;
}

const hashes = new Map<string, string>();

/** SHA-256 hex of a token; recent ones are remembered (the hash, never a decision about it). */
export function hashToken(token: string): string {
  let h = hashes.get(token);
  if (h === undefined) {
    h = createHash("sha256").update(token).digest("hex");
    if (hashes.size >= 1024) hashes.clear();
    hashes.set(token, h);
  }
  return h;
}

/** Lease tokens are opaque to the CLI; 32 random bytes, URL-safe. */
export function newLeaseToken(): string {
  return randomBytes(32).toString("base64url");
}

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Parses `Authorization: token X` / `update-token X`; anything else counts as no credentials. */
export function parseAuthorization(header: string | undefined): { scheme: "token" | "update-token"; value: string } | undefined {
  if (!header) return undefined;
  const space = header.indexOf(" ");
  if (space < 0) return undefined;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (value === "") return undefined;
  if (scheme === "token" || scheme === "bearer") return { scheme: "token", value };
  if (scheme === "update-token") return { scheme: "update-token", value };
  return undefined;
}
