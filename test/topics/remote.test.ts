import { RemoteTopics } from "../../src/topics/remote.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { startBroker, removeDir } from "../helpers/broker.js";
import { topicsPortContract } from "./contract.js";

// The remote adapter against the millrace broker over TCP (the same contract as the embedded one).
topicsPortContract("remote", async () => {
  const tb = await startBroker({ "auto.create.topics.enable": "false", "group.initial.rebalance.delay.ms": "0" });
  return {
    port: new RemoteTopics({ bootstrapServers: tb.bootstrap }),
    async cleanup() {
      await tb.stop();
      removeDir(tb.dir);
    },
  };
});

test("remote: idempotent produce reaches the broker's producer state", async () => {
  const tb = await startBroker({ "auto.create.topics.enable": "false" });
  const port = new RemoteTopics({ bootstrapServers: tb.bootstrap });
  try {
    await port.createTopic("idem", { partitions: 1 });
    await port.produce("idem", 0, [{ value: "a" }], { idempotent: true });
    await port.produce("idem", 0, [{ value: "b" }, { value: "c" }], { idempotent: true });
    const state = tb.broker.producers.forPartition("idem", 0)!;
    assert.equal(state.size, 1, "the batches carried one producer id");
    assert.deepEqual(
      (await port.fetch("idem", 0, 0n)).records.map((r) => r.value?.toString()),
      ["a", "b", "c"],
    );
  } finally {
    await port.close();
    await tb.stop();
    removeDir(tb.dir);
  }
});
