import semver from "semver";

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
