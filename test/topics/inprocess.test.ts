import { test } from "node:test";
import assert from "node:assert/strict";
import { inProcessTopics, registerInProcess } from "../../src/topics/inprocess.js";
import type { TopicsPort } from "../../src/topics/port.js";

test("a broker's Kafka addresses route to its in-process port (localhost = 127.0.0.1), until unregistered", () => {
  const port = { name: "p" } as unknown as TopicsPort;
  const off = registerInProcess(["127.0.0.1:19092"], port);
  try {
    assert.equal(inProcessTopics("localhost:19092"), port);
    assert.equal(inProcessTopics("kafka1:9092, 127.0.0.1:19092"), port);
    assert.equal(inProcessTopics("PLAINTEXT://127.0.0.1:19092"), port);
    assert.equal(inProcessTopics("127.0.0.1:19093"), undefined);
    assert.equal(inProcessTopics("otherhost:19092"), undefined);
    assert.equal(inProcessTopics(undefined), undefined);
  } finally {
    off();
  }
  assert.equal(inProcessTopics("127.0.0.1:19092"), undefined);
});
