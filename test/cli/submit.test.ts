import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RemoteTopics } from "../../src/topics/remote.js";
import { startBroker, removeDir } from "../helpers/broker.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const BIN = fileURLToPath(new URL("../../bin/millrace.js", import.meta.url));

function run(
  args: string[],
  onStdout?: (all: string) => void,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
      onStdout?.(stdout);
    });
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

test(
  "submit: the app sees its own arguments (options after APP included)," + " --master, and imports millrace",
  async () => {
    const res = await run([
      "submit",
      "--master",
      "local[3]",
      "test/cli/fixtures/submit-args-app.mjs",
      "one",
      "--master",
      "x",
      "-v",
    ]);
    assert.equal(res.code, 0, res.stderr);
    const out = JSON.parse(res.stdout.trim()) as {
      args: string[];
      master: string;
      parallelism: number;
      module: string;
    };
    assert.deepEqual(out.args, ["one", "--master", "x", "-v"]);
    assert.equal(out.master, "local[3]");
    assert.equal(out.parallelism, 3);
    assert.match(out.module, /^file:.*submit-args-app\.mjs$/);
  },
);

test("submit: a missing app is a clear error", async () => {
  const res = await run(["submit", "nope/missing.ts"]);
  assert.equal(res.code, 1);
  assert.match(res.stderr, /application nope\/missing\.ts not found \[MR_CLI_SUBMIT_APP\]/);
});

test(
  "submit runs the article's StreamingKafkaDirectStringDecoder against a broker" + " and prints the batch like Spark",
  async () => {
    const tb = await startBroker({ "auto.create.topics.enable": "false" });
    const port = new RemoteTopics({ bootstrapServers: tb.bootstrap });
    try {
      await port.createTopic("twitter", { partitions: 2 });
      await port.produce("twitter", 0, [{ value: "hello from flume" }, { value: "second tweet" }]);
      await port.produce("twitter", 1, [{ value: "third tweet" }]);
      const res = await run([
        "submit",
        "--master",
        "local[2]",
        "examples/streaming/StreamingKafkaDirectStringDecoder.ts",
        tb.bootstrap,
        "twitter",
        "200",
        "1",
      ]);
      assert.equal(res.code, 0, res.stderr);
      const m = /-{43}\nTime: (\d+) ms\n-{43}\n([\s\S]*?)\n\n/.exec(res.stdout);
      assert.ok(m, res.stdout);
      assert.equal(Number(m[1]) % 200, 0, "batch times are multiples of the interval");
      assert.deepEqual(m[2]!.split("\n").sort(), ["hello from flume", "second tweet", "third tweet"]);
    } finally {
      await port.close();
      await tb.stop();
      removeDir(tb.dir);
    }
  },
);

test(
  "submit: an app in a folder with no package.json (.ts, .js)" +
    " runs as an ES module: top-level await, import millrace",
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "millrace-app-"));
    try {
      const body = [
        'import { StreamingContext } from "millrace";',
        "const n = await Promise.resolve(41);",
        "process.stdout.write(JSON.stringify({ n: n + 1, ctx: typeof StreamingContext, " +
          'argv: process.argv.slice(1) }) + "\\n");',
      ];
      writeFileSync(join(dir, "app.ts"), ["const typed: number = 1;", ...body].join("\n"));
      writeFileSync(join(dir, "app.js"), body.join("\n"));
      for (const f of ["app.ts", "app.js"]) {
        const res = await run(["submit", join(dir, f), "x"]);
        assert.equal(res.code, 0, res.stderr);
        assert.deepEqual(JSON.parse(res.stdout.trim()), { n: 42, ctx: "function", argv: [join(dir, f), "x"] });
      }
    } finally {
      removeDir(dir);
    }
  },
);

test("submit: an app that cannot be loaded is one message naming the file", async () => {
  const dir = mkdtempSync(join(tmpdir(), "millrace-app-"));
  try {
    writeFileSync(join(dir, "bad.ts"), "const x: number = ;\n");
    writeFileSync(join(dir, "missing.mjs"), 'import "no-such-package-here";\n');
    let res = await run(["submit", join(dir, "bad.ts")]);
    assert.equal(res.code, 1);
    assert.equal(
      res.stderr.trim(),
      `millrace submit: cannot load ${join(dir, "bad.ts")}: line 1:18: Unexpected ";" [MR_CLI_SUBMIT_LOAD]`,
    );
    res = await run(["submit", join(dir, "missing.mjs")]);
    assert.equal(res.code, 1);
    assert.match(
      res.stderr.trim(),
      new RegExp(
        [
          String.raw`^millrace submit: cannot load .*missing\.mjs: `,
          String.raw`Error: Cannot find package 'no-such-package-here' imported from .*missing\.mjs `,
          String.raw`\(ERR_MODULE_NOT_FOUND\) \[MR_CLI_SUBMIT_LOAD\]$`,
        ].join(""),
      ),
    );
  } finally {
    removeDir(dir);
  }
});
