import assert from "node:assert/strict";
import { test } from "node:test";
import { errorMessage, mapLimited } from "../app/api.js";

test("errorMessage prefers the service's {code, message} body", () => {
  assert.equal(errorMessage(404, JSON.stringify({ code: 404, message: "stack 'x' not found" })), "stack 'x' not found");
  assert.equal(errorMessage(502, "<html>bad gateway</html>"), "HTTP 502");
  assert.equal(errorMessage(500, JSON.stringify({ code: 500 })), "HTTP 500");
});

test("mapLimited keeps order and never exceeds its limit", async () => {
  let inFlight = 0;
  let peak = 0;
  const out = await mapLimited([5, 1, 4, 2, 3], 2, async (n) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((r) => setTimeout(r, n));
    inFlight--;
    return n * 10;
  });
  assert.deepEqual(out, [50, 10, 40, 20, 30]);
  assert.equal(peak, 2);
  assert.deepEqual(await mapLimited([], 3, async (n: number) => n), []);
});
