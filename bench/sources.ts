/**
 * Stream-source throughput: the twitter source reading a local chunked v2 stream
 * of N tweets into a collecting channel processor, and the replay source over a
 * JSON-lines file at rate = max. Prints events/s. Not a test: numbers vary by machine.
 *   npx tsx bench/sources.ts [N]
 */
import http from "node:http";
import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { Context, type ChannelProcessor, type Event } from "../src/agent/api.js";
import { createTwitterSource } from "../src/agent/sources/twitter.js";
import { createReplaySource } from "../src/agent/sources/replay.js";

const N = Number(process.argv[2] ?? 200_000);
const logger = pino({ level: "silent" });
const env = { agentName: "bench", logger };

function tweet(n: number): string {
  return JSON.stringify({
    data: {
      id: String(1e15 + n),
      text: `benchmark tweet number ${n} with #hashtag and @mention https://t.co/abc`,
      created_at: new Date(1.7e12 + n).toISOString(),
      author_id: "42",
      lang: "en",
    },
    includes: { users: [{ id: "42", username: "bench", name: "Bench" }] },
    matching_rules: [{ id: "1", tag: "millrace" }],
  });
}

class Counting implements ChannelProcessor {
  n = 0;
  bytes = 0;
  async processEvent(e: Event) {
    this.n++;
    this.bytes += e.body.length;
  }
  async processEventBatch(b: Event[]) {
    this.n += b.length;
    for (const e of b) this.bytes += e.body.length;
  }
}

async function until(cond: () => boolean) {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}

async function twitter() {
  const lines = Array.from({ length: N }, (_, i) => `${tweet(i)}\r\n`);
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    let i = 0;
    const pump = () => {
      while (i < lines.length) {
        const chunk = lines.slice(i, i + 500).join("");
        i += 500;
        if (!res.write(chunk)) return void res.once("drain", pump);
      }
    };
    pump();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const src = createTwitterSource("t", Context.of({ bearerToken: "x", apiBaseUrl: url, maxBatchSize: "1000" }), env);
  const cp = new Counting();
  src.setChannelProcessor(cp);
  const t0 = process.hrtime.bigint();
  src.start();
  await until(() => cp.n >= N);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  await src.stop();
  server.closeAllConnections();
  server.close();
  console.log(
    `twitter source: ${N} tweets in ${s.toFixed(2)} s = ${Math.round(N / s)} events/s, ` +
      `${(cp.bytes / s / 1e6).toFixed(1)} MB/s`,
  );
}

async function replay() {
  const dir = mkdtempSync(join(tmpdir(), "bench-replay-"));
  const f = join(dir, "in.jsonl");
  writeFileSync(f, `${Array.from({ length: N }, (_, i) => tweet(i)).join("\n")}\n`);
  const src = createReplaySource("r", Context.of({ file: f, rate: "max", batchSize: "1000" }), env);
  const cp = new Counting();
  src.setChannelProcessor(cp);
  const t0 = process.hrtime.bigint();
  src.start();
  await until(() => src.stats.finished);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  await src.stop();
  rmSync(dir, { recursive: true, force: true });
  console.log(`replay source (rate=max): ${cp.n} lines in ${s.toFixed(2)} s = ${Math.round(cp.n / s)} events/s`);
}

await twitter();
await replay();
