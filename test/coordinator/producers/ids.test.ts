import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PRODUCER_IDS_FILE, ProducerIdManager } from "../../../src/coordinator/producers/index.js";
import { ErrorCode } from "../../../src/protocol/errors.js";
import { withTempDir } from "./helpers.js";

const fresh = { transactionalId: null, transactionTimeoutMs: 60000 } as const;

test("fresh producer ids with epoch 0; the block is recorded before ids are handed out", async () => {
  await withTempDir(async (dir) => {
    const ids = await ProducerIdManager.open({ dir, blockSize: 10, nodeId: 3 });
    assert.deepEqual(await readdir(dir), []);
    const a = await ids.initProducerId(fresh);
    assert.deepEqual(a, { errorCode: ErrorCode.NONE, producerId: 0n, producerEpoch: 0 });
    assert.deepEqual(JSON.parse(await readFile(join(dir, PRODUCER_IDS_FILE), "utf8")), {
      version: 1,
      broker: 3,
      block_start: "0",
      block_end: "9",
    });
    const b = await ids.initProducerId({ ...fresh, producerId: -1n, producerEpoch: -1 });
    assert.equal(b.producerId, 1n);
    assert.equal(b.producerEpoch, 0);
    // Atomic write: no temp file stays behind.
    assert.deepEqual(await readdir(dir), [PRODUCER_IDS_FILE]);
  });
});

test("producer ids are never reused across restarts", async () => {
  await withTempDir(async (dir) => {
    let ids = await ProducerIdManager.open({ dir, blockSize: 10 });
    const first: bigint[] = [];
    for (let i = 0; i < 3; i++) first.push(await ids.generateProducerId());
    assert.deepEqual(first, [0n, 1n, 2n]);
    // Restart (clean or not: nothing is written on shutdown): the rest of block 0..9 is skipped.
    ids = await ProducerIdManager.open({ dir, blockSize: 10 });
    assert.equal(ids.nextProducerId, 10n);
    assert.equal(await ids.generateProducerId(), 10n);
    // A restart with another block size still starts after the last recorded block.
    ids = await ProducerIdManager.open({ dir, blockSize: 1000 });
    assert.equal(await ids.generateProducerId(), 20n);
    assert.deepEqual(JSON.parse(await readFile(join(dir, PRODUCER_IDS_FILE), "utf8")).block_end, "1019");
  });
});

test("concurrent requests get distinct ids across block boundaries", async () => {
  await withTempDir(async (dir) => {
    const ids = await ProducerIdManager.open({ dir, blockSize: 3 });
    const got = await Promise.all(Array.from({ length: 20 }, () => ids.initProducerId(fresh)));
    const pids = got.map((r) => r.producerId);
    assert.ok(got.every((r) => r.errorCode === ErrorCode.NONE && r.producerEpoch === 0));
    assert.equal(new Set(pids).size, 20);
    assert.deepEqual(
      [...pids].sort((a, b) => Number(a - b)),
      Array.from({ length: 20 }, (_, i) => BigInt(i)),
    );
    const recorded = BigInt(JSON.parse(await readFile(join(dir, PRODUCER_IDS_FILE), "utf8")).block_end);
    assert.ok(recorded >= 19n);
    const again = await ProducerIdManager.open({ dir, blockSize: 3 });
    assert.ok((await again.generateProducerId()) > 19n);
  });
});

test(
  "an existing producer id and epoch (v3+) get a new id by default, as Kafka answers without a transactional " + "id",
  async () => {
    await withTempDir(async (dir) => {
      const ids = await ProducerIdManager.open({ dir });
      const a = await ids.initProducerId(fresh);
      const b = await ids.initProducerId({ ...fresh, producerId: a.producerId, producerEpoch: 0 });
      assert.deepEqual(b, { errorCode: ErrorCode.NONE, producerId: a.producerId + 1n, producerEpoch: 0 });
    });
  },
);

test(
  "bump-epoch mode: same id with epoch + 1; a new id when the epoch is exhausted or the id was never " + "issued",
  async () => {
    await withTempDir(async (dir) => {
      const ids = await ProducerIdManager.open({ dir, blockSize: 10, existingProducer: "bump-epoch" });
      const a = await ids.initProducerId(fresh);
      assert.deepEqual(await ids.initProducerId({ ...fresh, producerId: a.producerId, producerEpoch: 0 }), {
        errorCode: ErrorCode.NONE,
        producerId: a.producerId,
        producerEpoch: 1,
      });
      assert.deepEqual(await ids.initProducerId({ ...fresh, producerId: a.producerId, producerEpoch: 32765 }), {
        errorCode: ErrorCode.NONE,
        producerId: a.producerId,
        producerEpoch: 32766,
      });
      // 32766 = Short.MAX_VALUE - 1: exhausted (Kafka's isEpochExhausted), so a new id starts at epoch 0.
      assert.deepEqual(await ids.initProducerId({ ...fresh, producerId: a.producerId, producerEpoch: 32766 }), {
        errorCode: ErrorCode.NONE,
        producerId: 1n,
        producerEpoch: 0,
      });
      // Never handed out by this broker: not bumped, a new id instead.
      assert.deepEqual(await ids.initProducerId({ ...fresh, producerId: 5000n, producerEpoch: 4 }), {
        errorCode: ErrorCode.NONE,
        producerId: 2n,
        producerEpoch: 0,
      });
    });
  },
);

test(
  "transactional ids are refused while transactions are unsupported; half-given producer ids are " + "invalid",
  async () => {
    await withTempDir(async (dir) => {
      const ids = await ProducerIdManager.open({ dir });
      const t = await ids.initProducerId({ transactionalId: "txn-1", transactionTimeoutMs: 60000 });
      assert.equal(t.errorCode, ErrorCode.UNSUPPORTED_VERSION);
      assert.equal(t.producerId, -1n);
      assert.equal(t.producerEpoch, -1);
      assert.match(t.message!, /transactions are not supported/);
      assert.equal(
        (await ids.initProducerId({ transactionalId: "", transactionTimeoutMs: 60000 })).errorCode,
        ErrorCode.INVALID_REQUEST,
      );
      assert.equal(
        (await ids.initProducerId({ ...fresh, producerId: 4n, producerEpoch: -1 })).errorCode,
        ErrorCode.INVALID_REQUEST,
      );
      assert.equal(
        (await ids.initProducerId({ ...fresh, producerId: -1n, producerEpoch: 2 })).errorCode,
        ErrorCode.INVALID_REQUEST,
      );
      // Nothing was allocated for the refused requests.
      assert.deepEqual(await readdir(dir), []);
    });
  },
);

test("an unreadable producer-id file refuses to open rather than risk reusing ids", async () => {
  await withTempDir(async (dir) => {
    for (const body of [
      "",
      "{",
      '{"version":2,"block_start":"0","block_end":"9"}',
      '{"version":1,"block_start":"10","block_end":"9"}',
      '{"version":1}',
    ]) {
      await writeFile(join(dir, PRODUCER_IDS_FILE), body);
      await assert.rejects(
        ProducerIdManager.open({ dir }),
        (e: Error & { code?: string }) => e.code === "MR_PRODUCER_IDS_CORRUPT",
      );
    }
  });
});

test("a failed block write is answered with a retriable storage error", async () => {
  await withTempDir(async (dir) => {
    const ids = await ProducerIdManager.open({ dir: join(dir, "missing") });
    const r = await ids.initProducerId(fresh);
    assert.equal(r.errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    assert.equal(r.producerId, -1n);
  });
});
