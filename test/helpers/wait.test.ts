import { test } from "node:test";
import assert from "node:assert/strict";
import { waitFor } from "./wait.js";

test("waitFor resolves to the first truthy value of a sync or async getter, true for a predicate", async () => {
  let n = 0;
  assert.equal(await waitFor(() => ++n >= 3, "three polls"), true);
  assert.equal(n, 3);
  let m = 0;
  const got = await waitFor(async () => (++m === 2 ? { m } : undefined), "an object");
  assert.deepEqual(got, { m: 2 });
  assert.equal(await waitFor(() => "ready", "a string"), "ready");
});

test("waitFor fails after the timeout naming what it waited for, with the detail", async () => {
  await assert.rejects(
    waitFor(() => false, "the impossible", 50),
    {
      message: "timed out waiting for the impossible",
    },
  );
  await assert.rejects(
    waitFor(() => null, "a child", { timeoutMs: 50, intervalMs: 5, detail: () => "its output" }),
    {
      message: "timed out waiting for a child:\nits output",
    },
  );
});

test("waitFor stops at once with failIf's message, and polls until then", async () => {
  let polls = 0;
  await assert.rejects(
    waitFor(
      () => {
        polls++;
        return false;
      },
      "a child's line",
      { failIf: () => polls >= 4 && "the child exited (1)" },
    ),
    { message: "the child exited (1)" },
  );
  assert.equal(polls, 4);
});
