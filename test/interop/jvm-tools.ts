/**
 * Plumbing for the interop tests that drive the REAL Apache Kafka tools, Spark and Flume
 * (test/interop/tooling/{kafka,spark,flume}.sh): prerequisite checks (java, javac, mvn or a
 * filled cache) and a bounded way to run each tool.
 *
 * A missing prerequisite FAILS the test with a message naming what to install, unless
 * MILLRACE_INTEROP_ALLOW_MISSING=1 turns it into a skip (see helpers.ts needs/assertPresent).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { INTEROP_DIR, runOk, type RunResult } from "./helpers.js";

export type JvmTool = "kafka" | "spark" | "flume";

export const TOOLING = join(INTEROP_DIR, "tooling");
export const SCRIPT: Record<JvmTool, string> = {
  kafka: join(TOOLING, "kafka.sh"),
  spark: join(TOOLING, "spark.sh"),
  flume: join(TOOLING, "flume.sh"),
};

function usable(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 60_000 });
  return !r.error && r.status === 0;
}

/**
 * null when `tool` can run here: java (and javac for Spark, which compiles the test
 * programs) present, and the jars either cached in .interop-cache or fetchable with mvn.
 */
export function missingJvmTool(tool: JvmTool): string | null {
  if (!usable("java", ["-version"]))
    return "java is not installed: install a JDK 17 (Debian: apt-get install openjdk-17-jdk-headless)";
  if (tool === "spark" && !usable("javac", ["-version"]))
    return "javac is not installed (Spark test programs are compiled): install openjdk-17-jdk-headless";
  if (!usable("bash", [SCRIPT[tool], "classpath"]) && !usable("mvn", ["-v"])) {
    return (
      `${tool} is not in .interop-cache and mvn is not installed to fetch it: install maven ` +
      `(apt-get install maven), or run test/interop/tooling/${tool}.sh fetch where Maven Central ` +
      "is reachable"
    );
  }
  return null;
}

/** Fetches the tool's jars with Maven if they are not cached yet (a no-op otherwise). */
export async function fetchJvmTool(tool: JvmTool): Promise<void> {
  await runOk("bash", [SCRIPT[tool], "fetch"], { timeoutMs: 30 * 60_000 });
}

/** Runs a Kafka tool (kafka.sh run <tool> ...), asserting exit status 0. */
export function kafkaTool(
  tool: string,
  args: string[],
  opts: { input?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return runOk("bash", [SCRIPT.kafka, "run", tool, ...args], { timeoutMs: 180_000, ...opts });
}

/** One row of `kafka-consumer-groups --describe`. */
export interface GroupRow {
  group: string;
  topic: string;
  partition: number;
  current: number | null;
  logEnd: number;
  lag: number | null;
  consumerId: string;
}

/** Parses the offsets table kafka-consumer-groups --describe prints. */
export function parseGroupDescribe(stdout: string): GroupRow[] {
  const rows: GroupRow[] = [];
  for (const line of stdout.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 7 || f[0] === "GROUP" || !/^\d+$/.test(f[2])) continue;
    const num = (s: string) => (s === "-" ? null : Number(s));
    rows.push({
      group: f[0],
      topic: f[1],
      partition: Number(f[2]),
      current: num(f[3]),
      logEnd: Number(f[4]),
      lag: num(f[5]),
      consumerId: f[6],
    });
  }
  return rows.sort((a, b) => a.partition - b.partition);
}
