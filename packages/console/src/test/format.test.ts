import assert from "node:assert/strict";
import { test } from "node:test";
import {
  changeBadges, changesText, durationBetween, formatDuration, formatTimestamp, formatValue, isSecret, parseServiceTime, parseUrn, relativeTime, statusTone, stripColors,
} from "../app/format.js";

const SIG = "4dabf18193072939515e22adb298388d";

test("parseServiceTime reads seconds, milliseconds, RFC 3339 and zoneless UTC; zero time is never", () => {
  assert.equal(parseServiceTime(1767225600)?.toISOString(), "2026-01-01T00:00:00.000Z");
  assert.equal(parseServiceTime(1767225600123)?.toISOString(), "2026-01-01T00:00:00.123Z");
  assert.equal(parseServiceTime("2022-10-31T16:07:58.629Z")?.toISOString(), "2022-10-31T16:07:58.629Z");
  assert.equal(parseServiceTime("2022-10-31 16:07:58.629")?.toISOString(), "2022-10-31T16:07:58.629Z");
  assert.equal(parseServiceTime("2022-10-31T18:07:58+02:00")?.toISOString(), "2022-10-31T16:07:58.000Z");
  for (const never of [undefined, null, 0, "", "0001-01-01T00:00:00Z", "garbage", -5, Number.NaN]) assert.equal(parseServiceTime(never), undefined, String(never));
});

test("formatTimestamp is UTC; relativeTime rounds to the largest unit", () => {
  assert.equal(formatTimestamp(new Date("2026-03-04T05:06:07Z")), "2026-03-04 05:06:07");
  assert.equal(formatTimestamp(undefined), "—");
  const now = new Date("2026-03-04T12:00:00Z");
  const ago = (s: number) => relativeTime(new Date(now.getTime() - s * 1000), now);
  assert.equal(ago(10), "just now");
  assert.equal(ago(-3600), "just now");
  assert.equal(ago(60), "1 minute ago");
  assert.equal(ago(150), "3 minutes ago");
  assert.equal(ago(3600 * 5), "5 hours ago");
  assert.equal(ago(86400), "1 day ago");
  assert.equal(ago(86400 * 45), "2 months ago");
  assert.equal(ago(86400 * 800), "2 years ago");
  assert.equal(relativeTime(undefined, now), "never");
});

test("formatDuration and durationBetween", () => {
  assert.equal(formatDuration(0), "<1s");
  assert.equal(formatDuration(0.25), "250ms");
  assert.equal(formatDuration(42), "42s");
  assert.equal(formatDuration(185), "3m 05s");
  assert.equal(formatDuration(7260), "2h 01m");
  assert.equal(formatDuration(undefined), "—");
  assert.equal(formatDuration(-1), "—");
  assert.equal(durationBetween(100, 160), 60);
  assert.equal(durationBetween("2022-10-31 16:07:58.000", "2022-10-31T16:08:16.500Z"), 18.5);
  assert.equal(durationBetween(100, undefined), undefined);
  assert.equal(durationBetween("2022-10-31T16:07:58Z", "0001-01-01T00:00:00Z"), undefined);
});

test("changeBadges keep pulumi's order, drop zeros and internal steps", () => {
  const badges = changeBadges({ same: 3, "create-replacement": 1, delete: 1, create: 2, update: 0, replace: 1 });
  assert.deepEqual(badges.map((b) => `${b.symbol}${b.count} ${b.label}`), ["+2 created", "+-1 replaced", "-1 deleted", "3 unchanged"]);
  assert.equal(changesText({ create: 1, same: 2 }), "1 created, 2 unchanged");
  assert.equal(changesText({}), "no changes");
  assert.equal(changesText(undefined), "no changes");
});

test("statusTone groups results and deployment statuses", () => {
  assert.equal(statusTone("succeeded"), "ok");
  for (const s of ["failed", "canceled", "cancelled"]) assert.equal(statusTone(s), "bad");
  for (const s of ["in-progress", "running", "accepted", "not-started"]) assert.equal(statusTone(s), "busy");
  assert.equal(statusTone("skipped"), "muted");
  assert.equal(statusTone(undefined), "muted");
});

test("parseUrn splits stack, project, type chain and a name that may contain '::'", () => {
  assert.deepEqual(parseUrn("urn:pulumi:dev::web::my:comp:Comp$random:index/randomString:RandomString::a::b"), {
    stack: "dev", project: "web", typeChain: "my:comp:Comp$random:index/randomString:RandomString", type: "random:index/randomString:RandomString", name: "a::b",
  });
  assert.equal(parseUrn("urn:pulumi:dev::web::pulumi:pulumi:Stack::web-dev")?.name, "web-dev");
  assert.equal(parseUrn("not-a-urn"), undefined);
});

test("formatValue shows text, redacts secrets and assets, and truncates", () => {
  assert.equal(formatValue("plain"), "plain");
  assert.equal(formatValue(3), "3");
  assert.equal(formatValue(null), "null");
  const secret = { [SIG]: "1b47061264138c4ac30d75fd1eb44270", ciphertext: "v1:abc" };
  assert.equal(formatValue({ a: 1, s: secret, list: [secret] }), '{"a":1,"s":"[secret]","list":["[secret]"]}');
  assert.equal(formatValue(secret), '"[secret]"');
  assert.ok(isSecret(secret));
  assert.ok(!isSecret({ ciphertext: "x" }));
  assert.equal(formatValue({ [SIG]: "c44067f5952c0a294b673a41bacd8c17", path: "./index.html" }), '"[asset ./index.html]"');
  assert.equal(formatValue("x".repeat(50), 10), `${"x".repeat(9)}…`);
});

test("stripColors removes the CLI's colour markup and ANSI escapes", () => {
  assert.equal(stripColors("<{%fg 1%}>error<{%reset%}>: boom"), "error: boom");
  assert.equal(stripColors("\x1b[31mred\x1b[0m plain"), "red plain");
});
