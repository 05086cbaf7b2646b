/** The CLI tools as a user runs them: separate processes against a real broker. */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { startBroker, removeDir, type TestBroker } from "../helpers/broker.js";

let tb: TestBroker;
before(async () => {
  tb = await startBroker();
});
after(async () => {
  await tb.stop();
  removeDir(tb.dir);
});

/** Runs the CLI as a separate process (asynchronously: the broker lives in this one). */
function millrace(args: string[], input?: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ["bin/millrace.js", ...args], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => p.kill("SIGKILL"), 60_000);
    p.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    p.stdin.end(input ?? "");
  });
}

test("topics --create/--list/--describe/--delete like kafka-topics", async () => {
  const b = ["--bootstrap-server", tb.bootstrap];
  let r = await millrace([
    "topics",
    ...b,
    "--create",
    "--topic",
    "clicks",
    "--partitions",
    "3",
    "--config",
    "retention.ms=1000",
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), "Created topic clicks.");
  r = await millrace(["topics", ...b, "--list"]);
  assert.match(r.stdout, /^clicks$/m);
  r = await millrace(["topics", ...b, "--describe", "--topic", "clicks"]);
  assert.match(
    r.stdout,
    /Topic: clicks\tTopicId: \S+\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: retention.ms=1000/,
  );
  assert.equal(r.stdout.match(/\tPartition: \d/g)?.length, 3);
  r = await millrace(["topics", ...b, "--create", "--topic", "clicks", "--partitions", "1"]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /TOPIC_ALREADY_EXISTS/);
  r = await millrace(["topics", ...b, "--delete", "--topic", "clicks"]);
  assert.equal(r.status, 0, r.stderr);
  r = await millrace(["topics", ...b, "--list"]);
  assert.doesNotMatch(r.stdout, /clicks/);
});

test("--zookeeper gets a one-line explanation, not a stack trace", async () => {
  const r = await millrace(["topics", "--zookeeper", "localhost:2181", "--list"]);
  assert.equal(r.status, 1);
  assert.equal(r.stderr.trim().split("\n").length, 1);
  assert.match(r.stderr, /no ZooKeeper.*--bootstrap-server/);
});

test(
  "the article's kafka-topics.sh / kafka-console-consumer.sh --zookeeper" +
    " commands: one line with the exact command to run",
  async () => {
    let r = await millrace([
      "topics",
      "--create",
      "--zookeeper",
      "<host>:2181",
      "--replication-factor",
      "1",
      "--partitions",
      "2",
      "--topic",
      "twitter",
    ]);
    assert.equal(r.status, 1);
    assert.equal(
      r.stderr.trim(),
      "millrace: --zookeeper is not supported: millrace (like Kafka 4) has no ZooKeeper, clients talk to the broker; " +
        "run: millrace topics --create --bootstrap-server '<host>:9092'" +
        " --replication-factor 1 --partitions 2 --topic twitter [MR_CLI_ZOOKEEPER]",
    );
    r = await millrace([
      "console-consumer",
      "--zookeeper",
      "zk1:2181,zk2:2181/kafka",
      "--topic",
      "twitter",
      "--from-beginning",
    ]);
    assert.equal(r.status, 1);
    assert.match(
      r.stderr.trim(),
      new RegExp(
        String.raw`; run: millrace console-consumer --bootstrap-server zk1:9092 --topic twitter --from-beginning ` +
          String.raw`\[MR_CLI_ZOOKEEPER\]$`,
      ),
    );
    assert.equal(r.stderr.trim().split("\n").length, 1);
  },
);

test("console-producer and console-consumer round-trip keys and headers", async () => {
  const b = ["--bootstrap-server", tb.bootstrap];
  assert.equal((await millrace(["topics", ...b, "--create", "--topic", "lines", "--partitions", "2"])).status, 0);
  const input = ["h1:a\tk1:one", "h1:b\tk2:two", "\tk1:three"].join("\n") + "\n";
  let r = await millrace(
    [
      "console-producer",
      ...b,
      "--topic",
      "lines",
      "--property",
      "parse.key=true",
      "--property",
      "key.separator=:",
      "--property",
      "parse.headers=true",
    ],
    input,
  );
  assert.equal(r.status, 0, r.stderr);
  r = await millrace([
    "console-consumer",
    ...b,
    "--topic",
    "lines",
    "--from-beginning",
    "--max-messages",
    "3",
    "--property",
    "print.key=true",
    "--property",
    "print.headers=true",
  ]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split("\n").sort();
  assert.deepEqual(lines, ["NO_HEADERS\tk1\tthree", "h1:a\tk1\tone", "h1:b\tk2\ttwo"]);
  assert.match(r.stderr, /Processed a total of 3 messages/);
  // same key, same partition, in order; kcat-style format
  r = await millrace([
    "console-consumer",
    ...b,
    "--topic",
    "lines",
    "--from-beginning",
    "--max-messages",
    "3",
    "--format",
    "%k=%s@%p\\n",
  ]);
  const byKey = r.stdout
    .trim()
    .split("\n")
    .filter((l) => l.startsWith("k1="));
  assert.deepEqual(
    byKey.map((l) => l.split("@")[0]),
    ["k1=one", "k1=three"],
  );
  assert.equal(new Set(byKey.map((l) => l.split("@")[1])).size, 1);
});
