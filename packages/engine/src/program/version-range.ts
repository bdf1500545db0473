import semver from "semver";
import { PULUMI_VERSION } from "../version.js";

/**
 * blang/semver ranges as the SDK sends them: space-separated comparators are ANDed, `||` ORs, `!v`
 * excludes a version. Translated into node-semver syntax.
 */
export function satisfiesPulumiRange(version: string, range: string): boolean {
  return range.split("||").some((alternative) =>
    alternative
      .trim()
      .split(/\s+/)
      .filter((c) => c !== "")
      .every((comparator) => {
        if (comparator.startsWith("!")) return !semver.eq(version, comparator.slice(1).replace(/^=/, ""));
        return semver.satisfies(version, comparator);
      }),
  );
}

/** RequirePulumiVersion's answer: why this CLI cannot run a program that requires `range`, or undefined when it can. */
export function unmetPulumiVersion(range: string): string | undefined {
  return satisfiesPulumiRange(PULUMI_VERSION, range) ? undefined : `Pulumi CLI version ${PULUMI_VERSION} does not satisfy the version range "${range}"`;
}
