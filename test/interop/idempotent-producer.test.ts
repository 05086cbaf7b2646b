/**
 * An idempotent librdkafka producer (confluent-kafka-python,
 * enable.idempotence=true, acks=all) sends 20,000 uniquely numbered records
 * through a TCP proxy, written here, that repeatedly cuts every connection.
 * The broker advertises the proxy's address (advertised.listeners), so every
 * connection librdkafka makes goes through it.
 *
 * The proxy cuts in two ways, alternating on a jittered 100-300 ms tick
 * (bounded count):
 *   - at once: every connection, whatever is in flight;
 *   - at the next Produce response: the broker has appended (and fsynced) the
 *     batch, the response is dropped and every connection cut, so the producer
 *     cannot know the batch is stored and must retry it with the same
 *     producer id, epoch and sequence numbers; only the broker's duplicate
 *     detection keeps a second copy out of the log. The first cut is always of
 *     this kind, so the test exercises it whatever the timing.
 *
 * The proxy also decodes each Produce request it forwards and counts every
 * idempotent batch (partition, producer id, epoch, first sequence, count), so
 * the test can show that batches the broker had stored were really sent again.
 *
 * Afterwards the log is read with millrace's own client: every record exactly
 * once (none missing, no duplicates), each partition in production order, and
 * the offset librdkafka was given for each record (including the answers to
 * retried duplicates) is where the record is stored.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, connect, type Server, type Socket } from "node:net";
import { KafkaClient } from "../../src/client/client.js";
import { ApiKey, decodeRequestBody, decodeRequestHeader } from "../../src/protocol/apis.js";
import type { Message } from "../../src/protocol/codec.js";
import { Reader } from "../../src/protocol/primitives.js";
import { scanBatches } from "../../src/protocol/records/batch.js";
import { startBroker, removeDir } from "../helpers/broker.js";
import {
  PYTHON,
  type RunResult,
  assertPresent,
  missingPythonModule,
  needs,
  readTopic,
  runOk,
  tail,
} from "./helpers.js";

const missing = missingPythonModule("confluent_kafka", "python3-confluent-kafka");

const N = 20_000;
const PARTITIONS = 3;
const MAX_CUTS = 60;
const PRODUCE = ApiKey.Produce;

/**
 * The producer: paced (chunks of 100 records, a 25 ms pause between) so that
 * production spans many cuts; small batches so several requests are in
 * flight; reconnects fast. Prints a JSON summary: for each record number, the
 * partition and offset its delivery report gave, and every error seen.
 */
const PRODUCER_SCRIPT = String.raw`
import json, sys, time
from confluent_kafka import Producer

bootstrap, topic, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
reports = {}
errors = []
fatal = []

def on_error(err):
    # Transport errors from the cut connections are expected (and retried); fatal ones are not.
    if err.fatal():
        fatal.append(str(err))

def on_delivery(err, msg):
    i = int(msg.value().decode())
    if err is not None:
        errors.append("%d: %s" % (i, err))
    elif i in reports:
        errors.append("%d: delivery reported twice" % i)
    else:
        reports[i] = [msg.partition(), msg.offset()]

p = Producer({
    "bootstrap.servers": bootstrap,
    "client.id": "millrace-idempotence-interop",
    "enable.idempotence": True,
    "acks": "all",
    "linger.ms": 5,
    "batch.num.messages": 50,
    "message.timeout.ms": 300000,
    "retry.backoff.ms": 20,
    "reconnect.backoff.ms": 10,
    "reconnect.backoff.max.ms": 100,
    "socket.connection.setup.timeout.ms": 10000,
    "error_cb": on_error,
})
for i in range(n):
    while True:
        try:
            p.produce(topic, key=("k%d" % (i % 16)).encode(), value=("%06d" % i).encode(), on_delivery=on_delivery)
            break
        except BufferError:
            p.poll(0.05)
    if i % 100 == 99:
        # poll() returns as soon as it served a callback: sleep to pace.
        p.poll(0)
        time.sleep(0.025)
left = p.flush(240)
summary = {"reports": reports, "errors": errors[:50], "errorCount": len(errors), "fatal": fatal, "undelivered": left}
print(json.dumps(summary))
`;

/** Splits a byte stream into Kafka frames (int32 size prefix + body), whole. */
class Framer {
  private acc: Buffer = Buffer.alloc(0);
  push(d: Buffer): Buffer[] {
    this.acc = this.acc.length === 0 ? d : Buffer.concat([this.acc, d]);
    const frames: Buffer[] = [];
    while (this.acc.length >= 4) {
      const size = this.acc.readInt32BE(0);
      if (this.acc.length < 4 + size) break;
      frames.push(this.acc.subarray(0, 4 + size));
      this.acc = this.acc.subarray(4 + size);
    }
    return frames;
  }
}

interface Pair {
  client: Socket;
  broker: Socket;
  /** correlation id -> api key (and for Produce, its batches) of the requests forwarded and not yet answered */
  inflight: Map<number, { api: number; batches: string[] }>;
  closed: boolean;
}

/** A loopback TCP proxy to the broker that forwards whole frames and cuts connections on command. */
class CuttingProxy {
  private pairs = new Set<Pair>();
  /** cut everything at the next Produce response (which is dropped) */
  private armed = false;
  readonly stats = {
    connections: 0,
    cuts: 0,
    cutsAtProduceResponse: 0,
    requestsInFlightAtCuts: 0,
    producesInFlightAtCuts: 0,
  };
  /** how often each idempotent batch (topic/partition/producer id/epoch/first sequence/count) was sent to the broker */
  readonly batchesSent = new Map<string, number>();
  /** batches the broker answered but whose answer the proxy dropped */
  readonly unacknowledged: string[] = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private brokerPort = 0,
  ) {}

  static async listen(): Promise<CuttingProxy> {
    let proxy!: CuttingProxy;
    const server = createServer((s) => proxy.accept(s));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: "127.0.0.1", port: 0 }, () => resolve());
    });
    const addr = server.address();
    proxy = new CuttingProxy(server, typeof addr === "object" && addr ? addr.port : 0);
    return proxy;
  }

  target(brokerPort: number): void {
    this.brokerPort = brokerPort;
  }

  private accept(client: Socket): void {
    if (this.brokerPort === 0) return void client.destroy();
    this.stats.connections++;
    const broker = connect({ host: "127.0.0.1", port: this.brokerPort });
    const pair: Pair = { client, broker, inflight: new Map(), closed: false };
    this.pairs.add(pair);
    client.setNoDelay(true);
    broker.setNoDelay(true);
    const up = new Framer();
    const down = new Framer();
    client.on("data", (d: Buffer) => {
      for (const f of up.push(d)) {
        if (pair.closed) return;
        // request header: size, api key int16, api version int16, correlation id int32
        if (f.length >= 12) {
          const api = f.readInt16BE(4);
          pair.inflight.set(f.readInt32BE(8), { api, batches: api === PRODUCE ? this.produceBatches(f) : [] });
        }
        broker.write(f);
      }
    });
    broker.on("data", (d: Buffer) => {
      for (const f of down.push(d)) {
        if (pair.closed) return;
        const corr = f.length >= 8 ? f.readInt32BE(4) : -1;
        const req = pair.inflight.get(corr);
        if (req?.api === PRODUCE && this.armed) {
          // The broker stored the batch; the producer will never hear so.
          this.armed = false;
          this.stats.cutsAtProduceResponse++;
          this.unacknowledged.push(...req.batches);
          this.cutAll();
          return;
        }
        pair.inflight.delete(corr);
        client.write(f);
      }
    });
    const close = () => this.closePair(pair);
    for (const s of [client, broker]) {
      s.on("error", close);
      s.on("close", close);
    }
  }

  /** Records the idempotent batches of a Produce request frame (size prefix included). */
  private produceBatches(frame: Buffer): string[] {
    const r = new Reader(frame, 4);
    const header = decodeRequestHeader(r);
    const body = decodeRequestBody(PRODUCE, header.requestApiVersion, r);
    const keys: string[] = [];
    for (const t of body.topicData as Message[]) {
      for (const pd of t.partitionData as Message[]) {
        if (!pd.records) continue;
        for (const b of scanBatches(pd.records)) {
          const key = `${t.name}/${pd.index}/${b.producerId}/${b.producerEpoch}/${b.baseSequence}/${b.recordCount}`;
          this.batchesSent.set(key, (this.batchesSent.get(key) ?? 0) + 1);
          keys.push(key);
        }
      }
    }
    return keys;
  }

  private closePair(pair: Pair): void {
    if (pair.closed) return;
    pair.closed = true;
    pair.client.destroy();
    pair.broker.destroy();
    this.pairs.delete(pair);
  }

  /** Cuts every connection now. */
  cutAll(): void {
    this.stats.cuts++;
    for (const pair of [...this.pairs]) {
      this.stats.requestsInFlightAtCuts += pair.inflight.size;
      this.stats.producesInFlightAtCuts += [...pair.inflight.values()].filter((r) => r.api === PRODUCE).length;
      this.closePair(pair);
    }
  }

  /** Cuts every connection when the broker next answers a Produce request. */
  cutAtNextProduceResponse(): void {
    this.armed = true;
  }

  disarm(): void {
    this.armed = false;
  }

  async close(): Promise<void> {
    this.armed = false;
    for (const pair of [...this.pairs]) this.closePair(pair);
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** A small deterministic PRNG (mulberry32) for the cut intervals. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

test(
  "idempotent librdkafka producer through a connection-cutting proxy: every record exactly once, in order",
  needs(missing, 600_000),
  async () => {
    assertPresent(missing);
    const proxy = await CuttingProxy.listen();
    const tb = await startBroker({
      listeners: "PLAINTEXT://127.0.0.1:0",
      "advertised.listeners": `PLAINTEXT://127.0.0.1:${proxy.port}`,
      "num.partitions": String(PARTITIONS),
      "auto.create.topics.enable": "false",
    });
    const proxyAddress = `127.0.0.1:${proxy.port}`;
    try {
      proxy.target(tb.broker.listeners[0].boundPort);
      assert.equal(tb.bootstrap, proxyAddress, "the broker advertises the proxy");
      const topic = "idempotent";
      const admin = await KafkaClient.connect(proxyAddress);
      try {
        await admin.createTopic(topic, PARTITIONS);
      } finally {
        await admin.close();
      }

      // The cutter: the first cut drops a Produce response; then alternately cut at once / at the
      // next Produce response.
      const seed = Number(process.env.MILLRACE_INTEROP_SEED ?? 20_000);
      const random = prng(seed);
      let producing = true;
      proxy.cutAtNextProduceResponse();
      const cutter = (async () => {
        for (let tick = 0; producing && proxy.stats.cuts < MAX_CUTS; tick++) {
          await sleep(100 + Math.floor(random() * 200));
          if (!producing) break;
          if (tick % 2 === 0) proxy.cutAll();
          else proxy.cutAtNextProduceResponse();
        }
        proxy.disarm();
      })();

      let result: RunResult;
      try {
        result = await runOk(PYTHON, ["-c", PRODUCER_SCRIPT, proxyAddress, topic, String(N)], { timeoutMs: 480_000 });
      } finally {
        producing = false;
        await cutter;
      }
      const summary = JSON.parse(result.stdout) as {
        reports: Record<string, [number, number]>;
        errors: string[];
        errorCount: number;
        fatal: string[];
        undelivered: number;
      };
      const s = proxy.stats;
      const resent = [...proxy.batchesSent.values()].filter((n) => n > 1).length;
      const droppedResent = proxy.unacknowledged.filter((k) => (proxy.batchesSent.get(k) ?? 0) > 1).length;
      console.log(
        `# ${proxy.batchesSent.size} distinct batches, ${resent} sent more than once; ` +
          `${proxy.unacknowledged.length} stored but unacknowledged (dropped response), ` +
          `${droppedResent} of them resent identically`,
      );
      console.log(
        `# proxy (seed ${seed}): ${s.connections} connections, ${s.cuts} cuts ` +
          `(${s.cutsAtProduceResponse} dropping a Produce response), ` +
          `${s.requestsInFlightAtCuts} requests in flight at cuts (${s.producesInFlightAtCuts} Produce)`,
      );
      assert.deepEqual(summary.fatal, [], "librdkafka raised a fatal idempotence error");
      assert.equal(summary.errorCount, 0, `delivery failures:\n${summary.errors.join("\n")}\n${tail(result.stderr)}`);
      assert.equal(summary.undelivered, 0, "flush() left records undelivered");
      assert.equal(Object.keys(summary.reports).length, N, "a delivery report for every record");
      assert.ok(
        s.cutsAtProduceResponse >= 1,
        "no Produce response was dropped, so no retry of a stored batch was exercised",
      );
      assert.ok(
        droppedResent >= 1,
        "no batch the broker had stored was sent again: duplicate detection was not exercised",
      );

      // ---- the log, read with millrace's client ----
      const stored = await readTopic(proxyAddress, topic);
      assert.equal(stored.partitions, PARTITIONS);
      const seen = new Map<number, { partition: number; offset: bigint }>();
      const duplicates: string[] = [];
      for (const r of stored.records) {
        const i = Number(r.value);
        assert.ok(
          Number.isInteger(i) && i >= 0 && i < N,
          `unexpected record ${JSON.stringify(r.value)} at ${r.partition}/${r.offset}`,
        );
        const first = seen.get(i);
        if (first) duplicates.push(`${i} at ${first.partition}/${first.offset} and ${r.partition}/${r.offset}`);
        else seen.set(i, { partition: r.partition, offset: r.offset });
      }
      assert.deepEqual(duplicates.slice(0, 20), [], `${duplicates.length} records are stored more than once`);
      const absent = Array.from({ length: N }, (_, i) => i).filter((i) => !seen.has(i));
      assert.deepEqual(absent.slice(0, 20), [], `${absent.length} records are missing`);
      assert.equal(stored.records.length, N);

      // Production order within each partition, and the key's partition kept.
      for (let p = 0; p < PARTITIONS; p++) {
        const values = stored.records.filter((r) => r.partition === p).map((r) => Number(r.value));
        const disorder = values.findIndex((v, j) => j > 0 && v <= values[j - 1]);
        assert.equal(
          disorder,
          -1,
          `partition ${p} is out of order at index ${disorder}: ` +
            `${values.slice(Math.max(0, disorder - 3), disorder + 3).join(", ")}`,
        );
      }
      const partitionOfKey = new Map<string, number>();
      for (const r of stored.records) {
        const known = partitionOfKey.get(r.key!);
        if (known === undefined) partitionOfKey.set(r.key!, r.partition);
        else assert.equal(r.partition, known, `key ${r.key} is in two partitions`);
      }

      // What librdkafka was told is where each record is (a retried duplicate gets the original offsets).
      let reportedOffsets = 0;
      for (const [i, [partition, offset]] of Object.entries(summary.reports)) {
        const at = seen.get(Number(i))!;
        assert.equal(partition, at.partition, `record ${i}: delivery report partition`);
        if (offset >= 0) {
          reportedOffsets++;
          assert.equal(BigInt(offset), at.offset, `record ${i}: delivery report offset`);
        }
      }
      console.log(
        `# ${N} records, each stored once; ${reportedOffsets} delivery reports carried an offset, all matching the log`,
      );
      assert.equal(tb.broker.metrics.requestErrors, 0, "the broker refused some of the producer's requests");
    } finally {
      await proxy.close();
      await tb.stop();
      removeDir(tb.dir);
    }
  },
);
