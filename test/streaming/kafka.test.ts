import { test } from "node:test";
import type avro from "avsc";
import assert from "node:assert/strict";
import { StreamingContext } from "../../src/streaming/context.js";
import { KafkaUtils, type ConsumerRecord } from "../../src/streaming/kafka.js";
import type { OffsetRange } from "../../src/streaming/rdd.js";
import { avroRegistryDecoder, jsonDecoder } from "../../src/formats/decoders.js";
import { SchemaRegistryClient, frame } from "../../src/formats/schema-registry.js";
import { startRegistry } from "../helpers/schema-registry.js";
import { registry } from "../../src/metrics/registry.js";
import { adapters } from "./ports.js";
import { waitFor } from "./helpers.js";

for (const [name, open] of adapters) {
  test(
    `${name}: the direct stream reads every record once, in contiguous offset ranges decided per batch, and ` +
      `commits them`,
    async () => {
      const { port, bootstrap, close } = await open();
      try {
        await port.createTopic("events", { partitions: 3 });
        for (let p = 0; p < 3; p++) {
          for (let b = 0; b < 4; b++)
            await port.produce(
              "events",
              p,
              Array.from({ length: 25 }, (_, i) => ({ key: `k${p}`, value: `p${p}-${b * 25 + i}` })),
            );
        }
        const ssc = new StreamingContext({ appName: `direct-${name}`, batchInterval: 50, master: "local[2]" });
        const stream = KafkaUtils.createDirectStream(ssc, {
          topics: ["events"],
          // the remote case goes through bootstrapServers, the embedded one through the port itself
          ...(bootstrap ? { bootstrapServers: bootstrap } : { topicsPort: port }),
          startingOffsets: "earliest",
          maxRatePerPartition: 600, // 30 records per partition per 50 ms batch
          groupId: "g1",
        });
        const seen: ConsumerRecord<string | null, string | null>[] = [];
        const batches: OffsetRange[][] = [];
        stream.foreachRDD(async (rdd) => {
          const ranges = KafkaUtils.offsetRanges(rdd);
          batches.push(ranges);
          const recs = await rdd.collect();
          assert.equal(
            recs.length,
            ranges.reduce((n, r) => n + Number(r.untilOffset - r.fromOffset), 0),
          );
          seen.push(...recs);
          await KafkaUtils.commitAsync(stream, ranges);
        });
        await ssc.start();
        await waitFor(() => seen.length >= 300, "300 records");
        // more records after the start are picked up by later batches
        await port.produce("events", 1, [{ value: "late" }]);
        await waitFor(() => seen.length >= 301, "the late record");
        await ssc.stop({ graceful: true });

        assert.equal(seen.length, 301);
        for (let p = 0; p < 3; p++) {
          const mine = seen.filter((r) => r.partition === p);
          assert.deepEqual(
            mine.map((r) => r.offset),
            mine.map((_, i) => i),
            `partition ${p}: offsets in order, none skipped or repeated`,
          );
          assert.deepEqual(
            mine.slice(0, 100).map((r) => r.value),
            Array.from({ length: 100 }, (_, i) => `p${p}-${i}`),
          );
          assert.equal(mine[0]!.key, `k${p}`);
          // ranges chain: each batch starts where the previous ended, and the rate caps them
          let until = 0n;
          for (const b of batches) {
            const r = b.find((x) => x.partition === p)!;
            assert.equal(r.fromOffset, until);
            assert.ok(r.untilOffset - r.fromOffset <= 30n);
            until = r.untilOffset;
          }
        }
        assert.ok(batches.length >= 4, "the rate limit split the backlog into several batches");
        const committed = await port.fetchOffsets("g1", ["events"]);
        assert.deepEqual(committed.map((c) => [c.partition, c.offset]).sort(), [
          [0, 100n],
          [1, 101n],
          [2, 100n],
        ]);

        // a new context with the same group and no explicit start resumes at the committed offsets
        await port.produce("events", 2, [{ value: "after-restart" }]);
        const ssc2 = new StreamingContext({ appName: `direct-${name}-2`, batchInterval: 50 });
        const s2 = KafkaUtils.createDirectStream(ssc2, { topics: ["events"], topicsPort: port, groupId: "g1" });
        const again: string[] = [];
        s2.map((r) => r.value!).foreachRDD(async (rdd) => {
          again.push(...(await rdd.collect()));
        });
        await ssc2.start();
        await waitFor(() => again.length >= 1, "the record after the commit");
        await ssc2.stop();
        assert.deepEqual(again, ["after-restart"]);
      } finally {
        await close();
      }
    },
  );
}

test("malformed records are counted and sent to the dead-letter topic; the batch goes on", async () => {
  const { port, close } = await adapters[0]![1]();
  try {
    await port.createTopic("json", { partitions: 1 });
    await port.produce("json", 0, [
      { value: '{"n":1}' },
      { value: "{not json" },
      { value: '{"n":2}' },
      { value: "" },
      { value: '{"n":3}' },
    ]);
    const ssc = new StreamingContext({ appName: "deadletter", batchInterval: 50 });
    const stream = KafkaUtils.createDirectStream(ssc, {
      topics: ["json"],
      topicsPort: port,
      startingOffsets: "earliest",
      valueDecoder: jsonDecoder,
      deadLetterTopic: "json-dlq",
    });
    const got: unknown[] = [];
    stream
      .map((r) => r.value)
      .foreachRDD(async (rdd) => {
        got.push(...(await rdd.collect()));
      });
    await ssc.start();
    await waitFor(() => got.length >= 3, "the good records");
    await ssc.stop();
    assert.deepEqual(got, [{ n: 1 }, { n: 2 }, { n: 3 }]);
    assert.equal(stream.malformedCount, 2);
    const dlq = await port.fetch("json-dlq", 0, 0n);
    assert.deepEqual(
      dlq.records.map((r) => r.value?.toString() ?? ""),
      ["{not json", ""],
    );
    const h = Object.fromEntries(dlq.records[0]!.headers.map((x) => [x.key, x.value?.toString()]));
    assert.equal(h["millrace.source"], "json-0@1");
    assert.match(h["millrace.error"]!, /JSON/);
    const metrics = await registry.metrics();
    assert.match(metrics, /millrace_streaming_malformed_records_total\{app="deadletter",topic="json"\} 2/);
  } finally {
    await close();
  }
});

test(
  "an exception in user code fails the batch with MR_STREAMING_TASK_FAILED naming the operation and batch " +
    "time; offsets are not committed past it",
  async () => {
    const { port, close } = await adapters[0]![1]();
    try {
      await port.createTopic("t", { partitions: 1 });
      await port.produce(
        "t",
        0,
        Array.from({ length: 10 }, (_, i) => ({ value: String(i) })),
      );
      const ssc = new StreamingContext({ appName: "failing", batchInterval: 50 });
      const stream = KafkaUtils.createDirectStream(ssc, {
        topics: ["t"],
        topicsPort: port,
        startingOffsets: "earliest",
        maxRatePerPartition: 80,
        groupId: "gf",
      });
      const processed: string[] = [];
      let failedTime = 0;
      ssc.listener.on("batchFailed", (info) => (failedTime = info.time));
      stream.foreachRDD(async (rdd) => {
        const values = await rdd
          .map((r) => {
            if (r.value === "6") throw new Error("bad value 6");
            return r.value!;
          })
          .collect();
        processed.push(...values);
        await KafkaUtils.commitAsync(stream, KafkaUtils.offsetRanges(rdd));
      });
      await ssc.start();
      const err = await ssc.awaitTermination().then(
        () => assert.fail("should have failed"),
        (e: unknown) => e as Error & { code: string },
      );
      assert.equal(err.code, "MR_STREAMING_TASK_FAILED");
      assert.match(err.message, /^map failed in the batch of time \d+ ms: bad value 6$/);
      assert.ok(err.message.includes(String(failedTime)));
      assert.equal(ssc.state, "stopped");
      assert.deepEqual(processed, ["0", "1", "2", "3"]);
      // the failed batch [4, 8) was not committed
      assert.deepEqual(
        (await port.fetchOffsets("gf", ["t"])).map((c) => c.offset),
        [4n],
      );
    } finally {
      await close();
    }
  },
);

test("maxFailures retries a failing output operation before failing the batch", async () => {
  const ssc = new StreamingContext({ appName: "retry", batchInterval: 30, conf: { "spark.task.maxFailures": "3" } });
  let calls = 0;
  const done: number[][] = [];
  ssc.queueStream([[1, 2, 3]]).foreachRDD(async (rdd) => {
    calls++;
    if (calls < 3) throw new Error(`flaky ${calls}`);
    done.push(await rdd.collect());
  });
  await ssc.start();
  await waitFor(() => done.length === 1, "the retried batch");
  await ssc.stop();
  assert.equal(calls, 3);
  assert.deepEqual(done, [[1, 2, 3]]);
});

test("with a checkpoint, the batch that failed is re-run after a restart with the same offset ranges", async () => {
  const { port, close } = await adapters[0]![1]();
  const { tempDir, removeDir } = await import("../helpers/broker.js");
  const ck = tempDir();
  try {
    await port.createTopic("t2", { partitions: 2 });
    for (let p = 0; p < 2; p++)
      await port.produce(
        "t2",
        p,
        Array.from({ length: 10 }, (_, i) => ({ value: `${p}:${i}` })),
      );
    let broken = true;
    const seen: { ranges: string; values: string[] }[] = [];
    const failedRanges: string[] = [];
    const make = () => {
      const ssc = new StreamingContext({ appName: "rerun", batchInterval: 40 });
      const s = KafkaUtils.createDirectStream(ssc, {
        topics: ["t2"],
        topicsPort: port,
        startingOffsets: "earliest",
        maxRatePerPartition: 100,
      });
      s.foreachRDD(async (rdd) => {
        const ranges = KafkaUtils.offsetRanges(rdd)
          .map((r) => `${r.partition}:${r.fromOffset}-${r.untilOffset}`)
          .join(",");
        const values = await rdd.map((r) => r.value!).collect();
        if (broken && values.includes("1:5")) {
          failedRanges.push(ranges);
          throw new Error("poison 1:5");
        }
        seen.push({ ranges, values });
      });
      return ssc;
    };
    const a = await StreamingContext.getOrCreate(ck, make);
    await a.start();
    await assert.rejects(
      a.awaitTermination(),
      /foreachRDD \(output of createDirectStream\) failed in the batch of time \d+ ms: poison 1:5/,
    );
    broken = false;
    const before = seen.length;
    const b = await StreamingContext.getOrCreate(ck, make);
    await b.start();
    await waitFor(() => seen.flatMap((x) => x.values).length >= 20, "all records");
    await b.stop();
    assert.equal(seen[before]!.ranges, failedRanges[0], "the failed batch re-ran first, with its recorded ranges");
    const values = seen.flatMap((x) => x.values);
    assert.equal(values.length, 20, "nothing skipped, nothing twice");
    assert.equal(new Set(values).size, 20);
  } finally {
    await close();
    removeDir(ck);
  }
});

test(
  "an async decoder (avroRegistryDecoder, schemas from a registry) decodes the direct stream; bad records are " +
    "malformed",
  async (t) => {
    const reg = await startRegistry();
    t.after(() => reg.close());
    const schema = {
      type: "record",
      name: "Click",
      fields: [
        { name: "user", type: "string" },
        { name: "n", type: "int" },
      ],
    } as avro.Schema;
    const producer = new SchemaRegistryClient(reg.url);
    const { port, close } = await adapters[0]![1]();
    try {
      await port.createTopic("clicks", { partitions: 1 });
      const enc = (user: string, n: number) => producer.encode("clicks-value", schema, { user, n });
      await port.produce("clicks", 0, [
        { value: await enc("a", 1) },
        { value: "not framed" },
        { value: await enc("b", 2) },
        { value: frame(77, Buffer.from([2, 0x61, 2])) }, // an id the registry does not know
        { value: await enc("c", 3) },
      ]);
      const ssc = new StreamingContext({ appName: "registry", batchInterval: 50 });
      const stream = KafkaUtils.createDirectStream(ssc, {
        topics: ["clicks"],
        topicsPort: port,
        startingOffsets: "earliest",
        valueDecoder: avroRegistryDecoder<{ user: string; n: number }>(new SchemaRegistryClient(reg.url)),
        deadLetterTopic: "clicks-dlq",
      });
      const got: unknown[] = [];
      stream
        .map((r) => (r.value ? `${r.value.user}${r.value.n}` : null))
        .foreachRDD(async (rdd) => {
          got.push(...(await rdd.collect()));
        });
      await ssc.start();
      await waitFor(() => got.length >= 3, "the good records");
      await ssc.stop();
      assert.deepEqual(got, ["a1", "b2", "c3"]);
      assert.equal(stream.malformedCount, 2);
      const dlq = await port.fetch("clicks-dlq", 0, 0n);
      assert.deepEqual(
        dlq.records.map(
          (r) => Object.fromEntries(r.headers.map((h) => [h.key, h.value?.toString()]))["millrace.source"],
        ),
        ["clicks-0@1", "clicks-0@3"],
      );
      // the consumer side fetched the schema once
      assert.equal(reg.requests.filter((r) => r === "GET /schemas/ids/1").length, 1);
    } finally {
      await close();
    }
  },
);
