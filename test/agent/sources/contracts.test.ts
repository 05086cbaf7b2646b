/**
 * The source contract for every source that runs locally: exec, spooldir,
 * TAILDIR, the syslog sources, avro, kafka (embedded topics), replay, tweets,
 * and twitter against the local X API v2. (seq, netcat, netcatudp and http run
 * it in sources.test.ts.)
 */
import { after } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { createSocket } from "node:dgram";
import { appendFileSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Context } from "../../../src/agent/api.js";
import { createExecSource } from "../../../src/agent/sources/exec.js";
import { createSpoolDirSource } from "../../../src/agent/sources/spooldir.js";
import { createTaildirSource } from "../../../src/agent/sources/taildir.js";
import { createSyslogTcpSource } from "../../../src/agent/sources/syslog-tcp.js";
import { createSyslogUdpSource } from "../../../src/agent/sources/syslog-udp.js";
import { createMultiportSyslogTcpSource } from "../../../src/agent/sources/syslog-multiport.js";
import { createAvroSource } from "../../../src/agent/sources/avro.js";
import { createKafkaSource } from "../../../src/agent/sources/kafka.js";
import { createReplaySource } from "../../../src/agent/sources/replay.js";
import { createTweetsSource } from "../../../src/agent/sources/tweets.js";
import { createTwitterSource } from "../../../src/agent/sources/twitter.js";
import { AvroRpcClient } from "../../../src/agent/avro-rpc/client.js";
import { removeDir, tempDir } from "../../helpers/broker.js";
import { embeddedTopics, env } from "../io-helpers.js";
import { fakeX, steady, tweet } from "../helpers/fake-x.js";
import { sourceContract } from "../contracts/source.js";

const dirs: string[] = [];
const dir = () => {
  const d = tempDir("millrace-src-contract-");
  dirs.push(d);
  return d;
};
after(() => dirs.forEach(removeDir));

const lines = (n: number, p: string) => Array.from({ length: n }, (_, i) => `${p} ${i}`);

function tcpSend(port: number, data: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => s.end(data));
    s.on("close", () => resolve());
    s.on("error", reject);
  });
}

sourceContract("exec", () => {
  const d = dir();
  const f = join(d, "in.txt");
  writeFileSync(f, "");
  // the command waits for a marker file, so the lines are produced after start()
  const cmd = `while [ ! -f ${join(d, "go")} ]; do sleep 0.02; done; cat ${f}`;
  return {
    source: createExecSource(
      "r1",
      Context.of({ command: cmd, shell: "/bin/sh -c", batchSize: "7", batchTimeout: "20" }),
      env(),
    ),
    produce: async (n) => {
      const b = lines(n, "exec");
      writeFileSync(f, b.join("\n") + "\n");
      writeFileSync(join(d, "go"), "");
      return b;
    },
  };
});

sourceContract("spooldir", () => {
  const d = dir();
  const spool = join(d, "spool");
  mkdirSync(spool);
  return {
    source: createSpoolDirSource("r1", Context.of({ spoolDir: spool, batchSize: "7", pollDelay: "20" }), env()),
    produce: async (n) => {
      const b = lines(n, "spool");
      writeFileSync(join(d, "a.log"), b.slice(0, 20).join("\n") + "\n");
      writeFileSync(join(d, "b.log"), b.slice(20).join("\n") + "\n");
      renameSync(join(d, "a.log"), join(spool, "a.log"));
      renameSync(join(d, "b.log"), join(spool, "b.log"));
      return b;
    },
  };
});

sourceContract("TAILDIR", () => {
  const d = dir();
  mkdirSync(join(d, "logs"));
  const f = join(d, "logs", "app.log");
  writeFileSync(f, "");
  return {
    source: createTaildirSource(
      "r1",
      Context.of({
        filegroups: "f1",
        "filegroups.f1": join(d, "logs", "app\\.log.*"),
        positionFile: join(d, "pos.json"),
        batchSize: "7",
        writePosInterval: "50",
      }),
      env(),
    ),
    produce: async (n) => {
      const b = lines(n, "tail");
      for (let i = 0; i < n; i += 10) appendFileSync(f, b.slice(i, i + 10).join("\n") + "\n");
      return b;
    },
  };
});

sourceContract("syslogtcp", () => {
  const source = createSyslogTcpSource("r1", Context.of({ host: "127.0.0.1", port: "0" }), env());
  return {
    source,
    produce: async (n) => {
      const b = lines(n, "tcp");
      await tcpSend(source.boundPort, b.map((m) => `<13>Oct 11 22:14:15 h1 ${m}\n`).join(""));
      return b;
    },
  };
});

sourceContract("syslogudp", () => {
  const source = createSyslogUdpSource("r1", Context.of({ host: "127.0.0.1", port: "0" }), env());
  return {
    source,
    produce: async (n) => {
      const s = createSocket("udp4");
      const b = lines(n, "udp");
      for (const m of b)
        await new Promise<void>((r) => s.send(`<13>Oct 11 22:14:15 h1 ${m}`, source.boundPort, "127.0.0.1", () => r()));
      s.close();
      return b;
    },
  };
});

sourceContract("multiport_syslogtcp", () => {
  const source = createMultiportSyslogTcpSource(
    "r1",
    Context.of({ host: "127.0.0.1", ports: "0 0", batchSize: "7" }),
    env(),
  );
  return {
    source,
    produce: async (n) => {
      const b = lines(n, "mp");
      const half = Math.floor(n / 2);
      await tcpSend(
        source.boundPorts[0],
        b
          .slice(0, half)
          .map((m) => `<165>1 2024-01-01T00:00:00Z h2 app - - - ${m}\n`)
          .join(""),
      );
      await tcpSend(
        source.boundPorts[1],
        b
          .slice(half)
          .map((m) => `<13>Oct 11 22:14:15 h1 ${m}\n`)
          .join(""),
      );
      return b.map((m, i) => (i < half ? `app - - - ${m}` : m));
    },
  };
});

sourceContract("avro", () => {
  const source = createAvroSource("r1", Context.of({ bind: "127.0.0.1", port: "0" }), env());
  return {
    source,
    produce: async (n) => {
      const client = new AvroRpcClient({ host: "127.0.0.1", port: source.boundPort });
      const b = lines(n, "avro");
      try {
        assert.equal(await client.append({ headers: { one: "1" }, body: Buffer.from(b[0]) }), "OK");
        for (let i = 1; i < n; i += 10)
          assert.equal(
            await client.appendBatch(b.slice(i, i + 10).map((x) => ({ headers: {}, body: Buffer.from(x) }))),
            "OK",
          );
      } finally {
        client.close();
      }
      return b;
    },
  };
});

let kafka: Awaited<ReturnType<typeof embeddedTopics>> | undefined;
after(async () => kafka?.cleanup());
sourceContract("kafka (embedded topics)", async () => {
  kafka ??= await embeddedTopics();
  const port = kafka.port;
  await port.createTopic("src-contract", { partitions: 2 });
  return {
    source: createKafkaSource(
      "r1",
      Context.of({
        "kafka.topics": "src-contract",
        "kafka.consumer.group.id": "g",
        batchSize: "7",
        batchDurationMillis: "20",
        "kafka.consumer.auto.offset.reset": "earliest",
      }),
      env(kafka.view),
    ),
    produce: async (n) => {
      const b = lines(n, "kafka");
      for (let i = 0; i < n; i++) await port.produce("src-contract", i % 2, [{ key: null, value: Buffer.from(b[i]) }]);
      return b;
    },
  };
});

sourceContract("replay", () => {
  const d = dir();
  const f = join(d, "rec.jsonl");
  const recs = Array.from({ length: 50 }, (_, i) =>
    JSON.stringify({
      data: { id: String(i), text: `r${i}`, created_at: new Date(Date.UTC(2024, 0, 1, 0, 0, i)).toISOString() },
    }),
  );
  writeFileSync(f, recs.join("\n") + "\n");
  return {
    source: createReplaySource("r1", Context.of({ file: f, rate: "max", batchSize: "7" }), env()),
    produce: async () => recs,
  };
});

sourceContract("tweets (synthetic)", () => ({
  source: createTweetsSource(
    "r1",
    Context.of({ eventsPerSecond: "0", totalEvents: "50", batchSize: "7", seed: "3" }),
    env(),
  ),
  produce: async () => undefined,
}));

let x: Awaited<ReturnType<typeof fakeX>> | undefined;
after(async () => x?.close());
sourceContract("twitter (local X API v2)", async () => {
  const tweets = Array.from({ length: 50 }, (_, i) => tweet(i));
  x = await fakeX([steady(tweets)]);
  return {
    source: createTwitterSource(
      "r1",
      Context.of({
        consumerKey: "ck",
        consumerSecret: "cs",
        keywords: "flume",
        apiBaseUrl: x.url,
        maxBatchSize: "7",
        maxBatchDurationMillis: "20",
      }),
      env(),
    ),
    produce: async () => undefined,
  };
});
