import { test, after } from "node:test";
import assert from "node:assert/strict";
import { EmbeddedTopics } from "../../src/topics/embedded.js";
import { openTopics, registerInProcess } from "../../src/topics/index.js";
import { RemoteTopics } from "../../src/topics/remote.js";
import { tempDir, removeDir } from "../helpers/broker.js";
import { FAST } from "./contract.js";

const dirs: string[] = [];
after(() => dirs.forEach(removeDir));

async function standalone(): Promise<EmbeddedTopics> {
  const dir = tempDir();
  dirs.push(dir);
  return EmbeddedTopics.open({
    dataDir: dir,
    groups: { groupInitialRebalanceDelayMs: 0, offsetsTopicNumPartitions: 1 },
  });
}

test("openTopics: a bootstrap list naming an in-process broker gives a shared view of its port", async () => {
  const port = await standalone();
  const unroute = registerInProcess(["127.0.0.1:19771"], port);
  try {
    await port.createTopic("shared", { partitions: 1 });
    const view = await openTopics({ bootstrapServers: "localhost:19771", clientId: "t" });
    assert.ok(!(view instanceof RemoteTopics));
    assert.equal(view.kind, "embedded");
    await view.produce("shared", 0, [{ value: "a" }]);
    const m = await view.joinGroup("g", ["shared"], FAST);
    assert.deepEqual(m.assignment(), [{ topic: "shared", partition: 0 }]);
    await view.close();
    // the view's member left; the view is closed; the port is not
    await assert.rejects(m.commit([{ topic: "shared", partition: 0, offset: 1n }]), { code: "MR_TOPICS_GROUP_LEFT" });
    await assert.rejects(view.listTopics(), { code: "MR_TOPICS_CLOSED" });
    assert.deepEqual(
      (await port.fetch("shared", 0, 0n)).records.map((r) => r.value?.toString()),
      ["a"],
    );
    // inProcess: false always connects a client of its own
    const remote = await openTopics({ bootstrapServers: "127.0.0.1:19771", inProcess: false });
    assert.ok(remote instanceof RemoteTopics);
    await remote.close();
  } finally {
    unroute();
    await port.close();
  }
});

test("openTopics: an existing port comes as a view whose close() leaves the port open", async () => {
  const port = await standalone();
  try {
    const view = await openTopics({ embedded: port });
    await view.createTopic("t", { partitions: 2 });
    await view.close();
    await view.close();
    assert.equal((await port.describeTopic("t"))?.partitions, 2);
  } finally {
    await port.close();
  }
});
