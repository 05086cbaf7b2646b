import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ReconnectPolicy, X_BACKOFF } from "../../../../src/agent/sources/connectors/backoff.js";
import { HttpStatusError } from "../../../../src/agent/sources/connectors/errors.js";

describe("X reconnect policy", () => {
  it("backs off linearly for network errors, 250 ms steps up to 16 s", () => {
    const p = new ReconnectPolicy(X_BACKOFF);
    const waits = Array.from({ length: 70 }, () => p.next("network"));
    assert.deepEqual(waits.slice(0, 4), [250, 500, 750, 1000]);
    assert.equal(waits[63], 16_000);
    assert.equal(waits[69], 16_000);
  });

  it("backs off exponentially for HTTP errors, 5 s doubling up to 320 s", () => {
    const p = new ReconnectPolicy(X_BACKOFF);
    assert.deepEqual(
      Array.from({ length: 9 }, () => p.next("http")),
      [5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 320_000, 320_000],
    );
  });

  it("backs off from 1 minute for 429 and waits for x-rate-limit-reset", () => {
    const p = new ReconnectPolicy(X_BACKOFF);
    const now = 1_700_000_000_000;
    assert.equal(p.next("rate-limit", undefined, now), 60_000);
    assert.equal(p.next("rate-limit", undefined, now), 120_000);
    const err = new HttpStatusError(429, { "x-rate-limit-reset": String(now / 1000 + 600) }, "", "u");
    assert.equal(p.next("rate-limit", err.notBefore(now), now), 600_000);
  });

  it("keeps a count per kind and resets after a good connection", () => {
    const p = new ReconnectPolicy(X_BACKOFF);
    p.next("http");
    p.next("network");
    assert.equal(p.next("http"), 10_000);
    p.reset();
    assert.equal(p.next("http"), 5_000);
    assert.equal(p.next("network"), 250);
  });

  it("reads Retry-After in seconds", () => {
    assert.equal(new HttpStatusError(503, { "retry-after": "7" }, "", "u").notBefore(1000), 8000);
  });
});
