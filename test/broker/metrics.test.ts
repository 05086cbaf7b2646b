import { test } from "node:test";
import assert from "node:assert/strict";
import { KafkaClient } from "../../src/client/client.js";
import { encodeBatch } from "../../src/protocol/records/records.js";
import { exposition } from "../../src/metrics/registry.js";
import { removeDir, startBroker, tempDir } from "../helpers/broker.js";

test("broker metrics: requests by API and per-partition offsets and sizes in the shared registry", async () => {
  const b = await startBroker();
  const client = await KafkaClient.connect(b.bootstrap);
  try {
    await client.createTopic("metered", 2);
    await client.produce("metered", 1, encodeBatch({ records: [{ value: "a" }, { value: "b" }, { value: "c" }] }));
    const { body } = await exposition();
    assert.match(body, /millrace_broker_requests_total\{api="Produce"\} [1-9]/);
    assert.match(body, /millrace_broker_request_duration_seconds_count\{api="Produce"\} [1-9]/);
    assert.match(body, /millrace_broker_log_end_offset\{topic="metered",partition="1"\} 3/);
    assert.match(body, /millrace_broker_log_end_offset\{topic="metered",partition="0"\} 0/);
    assert.match(body, /millrace_broker_log_size_bytes\{topic="metered",partition="1"\} [1-9]\d*/);
    assert.match(body, /millrace_broker_connections [1-9]/);
  } finally {
    await client.close();
    await b.stop();
    removeDir(b.dir);
  }
  const after = (await exposition()).body;
  assert.doesNotMatch(
    after,
    /millrace_broker_log_end_offset\{topic="metered"/,
    "a stopped broker's partitions leave the registry",
  );
});

test("broker: a port already in use is a one-line error naming the port and the listeners setting", async () => {
  const a = await startBroker();
  const port = Number(a.bootstrap.split(":")[1]);
  const dir = tempDir();
  try {
    await assert.rejects(
      startBroker({ listeners: `PLAINTEXT://127.0.0.1:${port}` }, dir),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, "MR_BROKER_PORT_IN_USE");
        assert.match(
          e.message,
          new RegExp(`^port ${port} on 127\\.0\\.0\\.1 is already in use; change the broker's listeners setting`),
        );
        assert.doesNotMatch(e.message, /\n/);
        return true;
      },
    );
  } finally {
    await a.stop();
    removeDir(a.dir);
    removeDir(dir);
  }
});
