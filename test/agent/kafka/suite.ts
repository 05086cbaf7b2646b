/**
 * The Kafka channel, sink and source against a TopicsPort; run over the
 * embedded port and over the remote adapter talking to a real millrace broker.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Context, event, type Event } from "../../../src/agent/api.js";
import { createKafkaChannel } from "../../../src/agent/channels/kafka.js";
import { createKafkaSink } from "../../../src/agent/sinks/kafka.js";
import { createKafkaSource } from "../../../src/agent/sources/kafka.js";
import { decodeAvroFlumeEvent, encodeAvroFlumeEvent } from "../../../src/formats/avro-flume-event.js";
import { partitionForKey } from "../../../src/client/partitioner.js";
import type { ConsumedRecord, TopicsPort } from "../../../src/topics/port.js";
import { CollectingProcessor, TestChannel, env } from "../io-helpers.js";

export interface Fixture {
  port: TopicsPort;
  /** kafka.bootstrap.servers for components that open their own client (remote only) */
  bootstrap?: string;
  cleanup(): Promise<void>;
}

async function readAll(port: TopicsPort, topic: string): Promise<ConsumedRecord[]> {
  const d = await port.describeTopic(topic);
  const out: ConsumedRecord[] = [];
  for (let p = 0; p < (d?.partitions ?? 0); p++) out.push(...(await port.fetch(topic, p, 0n)).records);
  return out;
}

async function putTx(
  ch: { getTransaction(): import("../../../src/agent/api.js").Transaction },
  events: Event[],
): Promise<void> {
  const tx = ch.getTransaction();
  tx.begin();
  for (const e of events) await tx.put(e);
  await tx.commit();
  tx.close();
}

async function takeTx(
  ch: { getTransaction(): import("../../../src/agent/api.js").Transaction },
  n: number,
  commit: boolean,
): Promise<Event[]> {
  const tx = ch.getTransaction();
  tx.begin();
  const got: Event[] = [];
  const deadline = Date.now() + 20_000;
  while (got.length < n && Date.now() < deadline) {
    const e = await tx.take();
    if (e) got.push(e);
  }
  if (commit) await tx.commit();
  else await tx.rollback();
  tx.close();
  return got;
}

export function kafkaSuite(name: string, make: () => Promise<Fixture>): void {
  const withFx = (fn: (fx: Fixture) => Promise<void>) => async () => {
    const fx = await make();
    try {
      await fn(fx);
    } finally {
      await fx.port.close();
      await fx.cleanup();
    }
  };

  test(
    `${name}: kafka channel with no sink writes AvroFlumeEvent records to topic twitter (the article's third config)`,
    withFx(async (fx) => {
      const ch = createKafkaChannel(
        "c1",
        Context.of({ "kafka.topic": "twitter", "kafka.consumer.group.id": "flume" }),
        env(fx.port),
      );
      await ch.start();
      try {
        const tweets = Array.from({ length: 25 }, (_, i) =>
          event(JSON.stringify({ id: i, text: `tweet ${i}` }), { timestamp: String(1700000000000 + i) }),
        );
        // a put is invisible until commit; a rolled-back put writes nothing
        const tx = ch.getTransaction();
        tx.begin();
        await tx.put(event("never"));
        assert.equal((await readAll(fx.port, "twitter")).length, 0);
        await tx.rollback();
        tx.close();
        await putTx(ch, tweets.slice(0, 10));
        await putTx(ch, tweets.slice(10));
        const recs = await readAll(fx.port, "twitter");
        assert.equal(recs.length, 25);
        const decoded = recs.map((r) => decodeAvroFlumeEvent(r.value!));
        assert.deepEqual(
          decoded.map((e) => JSON.parse(e.body.toString()).id),
          [...Array(25).keys()],
        );
        assert.equal(decoded[3].headers.timestamp, "1700000000003");
        assert.equal(ch.counter.get("EventPutSuccessCount"), 25);
      } finally {
        await ch.stop();
      }
    }),
  );

  test(
    `${name}: kafka channel partitions by key header (murmur2), partitionIdHeader and defaultPartitionId`,
    withFx(async (fx) => {
      await fx.port.createTopic("keyed", { partitions: 4 });
      const ch = createKafkaChannel(
        "c1",
        Context.of({ "kafka.topic": "keyed", partitionIdHeader: "pid" }),
        env(fx.port),
      );
      await ch.start();
      try {
        const keys = ["alpha", "beta", "gamma", "delta", "epsilon"];
        await putTx(
          ch,
          keys.map((k) => event(`v-${k}`, { key: k })),
        );
        await putTx(ch, [event("pinned", { pid: "3", key: "alpha" })]);
        const recs = await readAll(fx.port, "keyed");
        for (const k of keys) {
          const r = recs.find(
            (x) => x.key?.toString() === k && decodeAvroFlumeEvent(x.value!).body.toString() === `v-${k}`,
          )!;
          assert.equal(r.partition, partitionForKey(Buffer.from(k), 4), k);
        }
        assert.equal(recs.find((x) => decodeAvroFlumeEvent(x.value!).body.toString() === "pinned")?.partition, 3);
        await assert.rejects(putTx(ch, [event("x", { pid: "9" })]), /partition 9 does not exist/);
      } finally {
        await ch.stop();
      }
      const fixed = createKafkaChannel(
        "c2",
        Context.of({ "kafka.topic": "keyed", defaultPartitionId: "2", parseAsFlumeEvent: "false" }),
        env(fx.port),
      );
      await fixed.start();
      try {
        await putTx(fixed, [event("raw-body", { key: "alpha", h: "lost" })]);
        const r = (await fx.port.fetch("keyed", 2, 0n)).records.find((x) => x.value?.toString() === "raw-body");
        assert.ok(r, "parseAsFlumeEvent=false writes the body alone, to defaultPartitionId");
      } finally {
        await fixed.stop();
      }
    }),
  );

  test(
    `${name}: kafka channel with no source: takes an existing topic, commit stores offsets, rollback ` +
      "and restart read again",
    withFx(async (fx) => {
      await fx.port.createTopic("existing", { partitions: 2 });
      for (let i = 0; i < 6; i++)
        await fx.port.produce("existing", i % 2, [
          { value: encodeAvroFlumeEvent({ headers: { n: String(i) }, body: Buffer.from(`e${i}`) }) },
        ]);
      const ctx = {
        "kafka.topic": "existing",
        "kafka.consumer.group.id": "g-take",
        "kafka.consumer.auto.offset.reset": "earliest",
        ...(fx.bootstrap ? { "kafka.bootstrap.servers": fx.bootstrap } : {}),
      };
      const ch = createKafkaChannel("c1", Context.of(ctx), env(fx.port));
      await ch.start();
      const seen: string[] = [];
      try {
        const first = await takeTx(ch, 4, false);
        assert.equal(first.length, 4);
        assert.ok(
          first.every((e) => e.headers.n !== undefined),
          "headers come back with parseAsFlumeEvent",
        );
        assert.deepEqual(await fx.port.fetchOffsets("g-take", ["existing"]), [], "a rollback commits nothing");
        const again = await takeTx(ch, 4, true);
        assert.equal(again.length, 4);
        // per partition, the rolled-back records come back first, in order (e0 is partition 0's first)
        assert.ok(
          again.some((e) => e.body.toString() === "e0") && again.some((e) => e.body.toString() === "e1"),
          "rolled-back takes are read again",
        );
        seen.push(...again.map((e) => e.body.toString()));
        const committed = (await fx.port.fetchOffsets("g-take", ["existing"])).reduce(
          (s, o) => s + Number(o.offset),
          0,
        );
        assert.equal(committed, 4);
      } finally {
        await ch.stop();
      }
      // a new channel in the same group resumes after the committed offsets
      const ch2 = createKafkaChannel("c1", Context.of(ctx), env(fx.port));
      await ch2.start();
      try {
        const rest = await takeTx(ch2, 2, true);
        seen.push(...rest.map((e) => e.body.toString()));
        assert.deepEqual(seen.sort(), ["e0", "e1", "e2", "e3", "e4", "e5"]);
        const tx = ch2.getTransaction();
        tx.begin();
        assert.equal(await tx.take(), null, "nothing left");
        await tx.commit();
        tx.close();
      } finally {
        await ch2.stop();
      }
    }),
  );

  test(
    `${name}: kafka channel round trip through a put and a take`,
    withFx(async (fx) => {
      const ch = createKafkaChannel(
        "c1",
        Context.of({ "kafka.topic": "rt", "kafka.pollTimeout": "200" }),
        env(fx.port),
      );
      await ch.start();
      try {
        await putTx(ch, [event("one", { a: "1" }), event("two", { b: "2" })]);
        const got = await takeTx(ch, 2, true);
        assert.deepEqual(
          got.map((e) => [e.body.toString(), e.headers]),
          [
            ["one", { a: "1" }],
            ["two", { b: "2" }],
          ],
        );
      } finally {
        await ch.stop();
      }
    }),
  );

  test(
    `${name}: kafka sink: topic header override, key partitioning, Flume event format; commits only after the produce`,
    withFx(async (fx) => {
      await fx.port.createTopic("sunk", { partitions: 3 });
      const ch = new TestChannel();
      const sink = createKafkaSink(
        "k1",
        Context.of({
          "kafka.topic": "sunk",
          flumeBatchSize: "10",
          "kafka.producer.acks": "all",
          useFlumeEventFormat: "true",
        }),
        env(fx.port),
      );
      sink.setChannel(ch);
      await sink.start();
      try {
        await ch.putAll([event("a", { key: "user-1" }), event("b", { key: "user-2" }), event("c", { topic: "other" })]);
        assert.equal(await sink.process(), "READY");
        assert.equal(ch.size(), 0);
        const recs = await readAll(fx.port, "sunk");
        assert.equal(recs.length, 2);
        for (const r of recs) assert.equal(r.partition, partitionForKey(r.key!, 3));
        assert.deepEqual(decodeAvroFlumeEvent(recs.find((r) => r.key?.toString() === "user-1")!.value!).headers, {
          key: "user-1",
        });
        const other = await readAll(fx.port, "other");
        assert.equal(decodeAvroFlumeEvent(other[0].value!).body.toString(), "c");
        assert.equal(await sink.process(), "BACKOFF");
        assert.equal(sink.counter.get("EventDrainSuccessCount"), 3);
      } finally {
        await sink.stop();
      }
      // a failing produce rolls the transaction back: nothing leaves the channel
      const bad = createKafkaSink("k2", Context.of({ "kafka.topic": "sunk", partitionIdHeader: "p" }), env(fx.port));
      const ch2 = new TestChannel();
      bad.setChannel(ch2);
      await bad.start();
      try {
        await ch2.putAll([event("ok", { p: "0" }), event("bad", { p: "7" })]);
        await assert.rejects(bad.process(), (e: Error & { code?: string }) => e.code === "MR_AGENT_SINK_DELIVERY");
        assert.equal(ch2.size(), 2);
        assert.equal(ch2.rollbacks, 1);
      } finally {
        await bad.stop();
      }
    }),
  );

  test(
    `${name}: kafka source: headers like Flume, offsets committed only after the channel took the batch`,
    withFx(async (fx) => {
      await fx.port.createTopic("in", { partitions: 2 });
      await fx.port.produce("in", 0, [{ key: "k0", value: "v0" }, { value: "v1" }]);
      await fx.port.produce("in", 1, [{ value: "v2" }]);
      const src = createKafkaSource(
        "r1",
        Context.of({
          "kafka.topics": "in",
          "kafka.consumer.group.id": "g-src",
          batchSize: "10",
          batchDurationMillis: "200",
        }),
        env(fx.port),
      );
      const cp = new CollectingProcessor();
      src.setChannelProcessor(cp);
      await src.start();
      try {
        cp.full = true;
        assert.equal(await src.process(), "BACKOFF");
        assert.deepEqual(await fx.port.fetchOffsets("g-src", ["in"]), [], "a failed put commits nothing");
        cp.full = false;
        const deadline = Date.now() + 20_000;
        while (cp.events.length < 3 && Date.now() < deadline) await src.process();
        assert.deepEqual(
          cp.events.map((e) => e.body.toString()).sort(),
          ["v0", "v1", "v2"],
          "the rejected batch is read again, once",
        );
        const e0 = cp.events.find((e) => e.body.toString() === "v0")!;
        assert.equal(e0.headers.topic, "in");
        assert.equal(e0.headers.partition, "0");
        assert.equal(e0.headers.offset, "0");
        assert.equal(e0.headers.key, "k0");
        assert.match(e0.headers.timestamp, /^\d+$/);
        const offs = (await fx.port.fetchOffsets("g-src", ["in"])).sort((a, b) => a.partition - b.partition);
        assert.deepEqual(
          offs.map((o) => o.offset),
          [2n, 1n],
        );
        assert.equal(await src.process(), "BACKOFF");
      } finally {
        await src.stop();
      }
    }),
  );

  test(
    `${name}: kafka source: topics regex and Flume event format; a kafka sink feeds it`,
    withFx(async (fx) => {
      const ch = new TestChannel();
      const sink = createKafkaSink(
        "k1",
        Context.of({ "kafka.topic": "logs-%{app}", useFlumeEventFormat: "true" }),
        env(fx.port),
      );
      sink.setChannel(ch);
      await sink.start();
      await ch.putAll([event("x", { app: "web" }), event("y", { app: "db" })]);
      assert.equal(await sink.process(), "READY");
      await sink.stop();
      const src = createKafkaSource(
        "r1",
        Context.of({ "kafka.topics.regex": "logs-.*", useFlumeEventFormat: "true", batchDurationMillis: "100" }),
        env(fx.port),
      );
      const cp = new CollectingProcessor();
      src.setChannelProcessor(cp);
      await src.start();
      try {
        const deadline = Date.now() + 20_000;
        while (cp.events.length < 2 && Date.now() < deadline) await src.process();
        const byBody = Object.fromEntries(cp.events.map((e) => [e.body.toString(), e.headers]));
        assert.equal(byBody.x.app, "web");
        assert.equal(byBody.x.topic, "logs-web");
        assert.equal(byBody.y.topic, "logs-db");
      } finally {
        await src.stop();
      }
    }),
  );

  test(
    `${name}: two kafka sources in one consumer group split the partitions and read every record once`,
    withFx(async (fx) => {
      await fx.port.createTopic("shared", { partitions: 4 });
      for (let p = 0; p < 4; p++)
        await fx.port.produce(
          "shared",
          p,
          Array.from({ length: 10 }, (_, i) => ({ value: `p${p}-${i}` })),
        );
      const cfg = {
        "kafka.topics": "shared",
        "kafka.consumer.group.id": "g-split",
        "kafka.consumer.heartbeat.interval.ms": "100",
        "kafka.consumer.session.timeout.ms": "6000",
        "kafka.consumer.max.poll.interval.ms": "5000",
        batchSize: "3",
        batchDurationMillis: "50",
      };
      const a = createKafkaSource("r1", Context.of(cfg), env(fx.port));
      const b = createKafkaSource("r2", Context.of(cfg), env(fx.port));
      const ca = new CollectingProcessor();
      const cb = new CollectingProcessor();
      a.setChannelProcessor(ca);
      b.setChannelProcessor(cb);
      await a.start();
      assert.equal(a.assignment().length, 4, "a lone member owns every partition");
      await b.start();
      try {
        const deadline = Date.now() + 30_000;
        while (!(a.assignment().length === 2 && b.assignment().length === 2) && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 20));
        assert.equal(a.assignment().length + b.assignment().length, 4, "the two members split the topic");
        const mine = new Set(a.assignment().map((p) => p.partition));
        while (ca.events.length + cb.events.length < 40 && Date.now() < deadline)
          await Promise.all([a.process(), b.process()]);
        const all = [...ca.events, ...cb.events].map((e) => e.body.toString());
        assert.equal(new Set(all).size, 40, "every record read");
        assert.equal(all.length, 40, "and only once");
        assert.ok(
          ca.events.every((e) => mine.has(Number(e.headers.partition))),
          "a read only its own partitions",
        );
        assert.ok(
          cb.events.every((e) => !mine.has(Number(e.headers.partition))),
          "b read only the others",
        );
        const committed = (await fx.port.fetchOffsets("g-split", ["shared"])).map((o) => o.offset);
        assert.deepEqual(committed, [10n, 10n, 10n, 10n]);
      } finally {
        await b.stop();
        await a.stop();
      }
    }),
  );
}
