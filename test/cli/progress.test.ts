/** Progress of long CLI work: console-producer from a file, topic deletion; the progress line itself. */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { closeSync, openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { progress } from "../../src/cli/progress.js";
import { startBroker, removeDir, tempDir, type TestBroker } from "../helpers/broker.js";

let tb: TestBroker;
before(async () => {
  tb = await startBroker();
});
after(async () => {
  await tb.stop();
  removeDir(tb.dir);
});

function millrace(
  args: string[],
  stdin: "ignore" | number = "ignore",
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ["bin/millrace.js", ...args], { stdio: [stdin, "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout!.on("data", (d) => (stdout += d));
    p.stderr!.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => p.kill("SIGKILL"), 60_000);
    p.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

function fakeStream(): { stream: NodeJS.WriteStream; text: () => string } {
  let text = "";
  const w = new Writable({
    write(chunk, _enc, cb) {
      text += chunk;
      cb();
    },
  });
  return { stream: w as unknown as NodeJS.WriteStream, text: () => text };
}

test("progress: redrawn in place on a terminal, only the summary otherwise", () => {
  const t = fakeStream();
  const p = progress({ stream: t.stream, tty: true, intervalMs: 0 });
  p.update("10 records");
  p.update("200 records");
  p.done("done: 300");
  assert.equal(t.text(), "\r10 records\r200 records\rdone: 300  \n");
  const n = fakeStream();
  const q = progress({ stream: n.stream, tty: false, intervalMs: 0 });
  q.update("10 records");
  q.done("done: 300");
  assert.equal(n.text(), "done: 300\n");
});

test("console-producer from a file (stdin redirected, or --file) ends with a summary on stderr", async () => {
  const dir = tempDir();
  try {
    const file = join(dir, "lines.txt");
    writeFileSync(file, Array.from({ length: 2500 }, (_, i) => `line ${i}`).join("\n") + "\n");
    const fd = openSync(file, "r");
    let r: Awaited<ReturnType<typeof millrace>>;
    try {
      r = await millrace(["console-producer", "--bootstrap-server", tb.bootstrap, "--topic", "from-file"], fd);
    } finally {
      closeSync(fd);
    }
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^from-file: 2500 records \(\d+\.\d KiB\) sent in \d+\.\d s$/m);
    r = await millrace([
      "console-producer",
      "--bootstrap-server",
      tb.bootstrap,
      "--topic",
      "from-file",
      "--file",
      file,
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^from-file: 2500 records /m);
    const log = tb.broker.log.partition("from-file", 0)!;
    assert.equal(log.highWatermark, 5000n);
  } finally {
    removeDir(dir);
  }
});

test("topics --delete takes a regular expression and reports each topic and a summary", async () => {
  const b = ["--bootstrap-server", tb.bootstrap];
  for (const t of ["old-1", "old-2", "old-3", "keep"])
    assert.equal((await millrace(["topics", ...b, "--create", "--topic", t])).status, 0);
  const r = await millrace(["topics", ...b, "--delete", "--topic", "old-.*"]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "Deleted topic old-1.\nDeleted topic old-2.\nDeleted topic old-3.\n");
  assert.match(r.stderr, /^deleted 3 topics in \d+\.\d s$/m);
  const list = await millrace(["topics", ...b, "--list"]);
  assert.match(list.stdout, /^keep$/m);
  assert.doesNotMatch(list.stdout, /old-/);
  const missing = await millrace(["topics", ...b, "--delete", "--topic", "nothing-here"]);
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /topic 'nothing-here' does not exist/);
});
