/**
 * The dashboard in a real browser, against the real demo pipeline
 * (`millrace demo`: embedded broker, agent with the synthetic tweets source and
 * Kafka channel, trending-hashtags streaming app). Screenshots of each view go
 * to test-artifacts/browser/.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { artifactsDir, launch } from "./browser.js";
import { freePort } from "../helpers/net.js";
import { removeDir, tempDir } from "../helpers/broker.js";

async function startDemo(
  dir: string,
  uiPort: number,
): Promise<{ child: ChildProcess; url: string; out: () => string }> {
  const child = spawn(
    process.execPath,
    ["bin/millrace.js", "demo", "--data-dir", dir, "--ui-port", String(uiPort), "--broker-port", "0", "--rate", "200"],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const url = `http://127.0.0.1:${uiPort}`;
  const deadline = Date.now() + 60_000;
  while (!out.includes(url)) {
    if (child.exitCode !== null) throw new Error(`demo exited ${child.exitCode}:\n${out}`);
    if (Date.now() > deadline) throw new Error(`demo did not print its dashboard URL:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, url, out: () => out };
}

test("dashboard in chromium: every view has live data; the message browser decodes a tweet", {
  timeout: 180_000,
}, async (t) => {
  const browser = await launch(t);
  if (!browser) return;
  const dir = tempDir("millrace-browser-");
  const demo = await startDemo(dir, await freePort());
  const shots = artifactsDir();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(demo.url);
    await page.waitForFunction(() => document.getElementById("status")!.textContent!.startsWith("live"), null, {
      timeout: 30_000,
    });

    // Streaming: the four Spark charts fill with points as batches complete.
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll("#streaming svg.chart")].filter((s) => Number(s.getAttribute("data-points")) >= 3)
          .length >= 4,
      null,
      {
        timeout: 60_000,
      },
    );
    assert.ok(Number(await page.locator("#streaming table tr").count()) > 1, "batch table has rows");
    await page.screenshot({ path: join(shots, "streaming.png"), fullPage: true });

    // Topics: the twitter topic with a growing log end, the streaming app's group with lag.
    await page.click('nav button[data-view="topics"]');
    await page.waitForFunction(() => document.getElementById("topics-body")!.textContent!.includes("twitter"), null, {
      timeout: 30_000,
    });
    await page.screenshot({ path: join(shots, "topics.png"), fullPage: true });

    // Message browser: a tweet from the Kafka channel, decoded from AvroFlumeEvent.
    await page.selectOption("#b-topic", "twitter");
    await page.fill("#b-offset", "0");
    await page.click('#browse button[type="submit"]');
    await page.waitForSelector("#messages table", { timeout: 30_000 });
    const first = await page.locator("#messages table tr").nth(1).textContent();
    assert.match(first ?? "", /avro-flume-event/);
    assert.match(first ?? "", /"text"/);
    await page.screenshot({ path: join(shots, "message-browser.png"), fullPage: true });

    // Agents: Flume's counters for source, channel and sink of the demo agent.
    await page.click('nav button[data-view="agents"]');
    await page.waitForFunction(
      () => /EventAcceptedCount/.test(document.getElementById("agents-body")!.textContent!),
      null,
      { timeout: 30_000 },
    );
    const agents = (await page.locator("#agents-body").textContent()) ?? "";
    assert.match(agents, /EventPutSuccessCount/);
    await page.screenshot({ path: join(shots, "agents.png"), fullPage: true });

    // Output: the trending hashtags.
    await page.click('nav button[data-view="output"]');
    await page.waitForFunction(() => /#\w/.test(document.getElementById("output-body")!.textContent!), null, {
      timeout: 30_000,
    });
    await page.screenshot({ path: join(shots, "output.png"), fullPage: true });
  } finally {
    await browser.close();
    demo.child.kill("SIGINT");
    await new Promise((r) => (demo.child.exitCode !== null ? r(null) : demo.child.once("exit", r)));
    removeDir(dir);
  }
});
