/**
 * kafka-python's group consumer (KafkaConsumer with group_id, subscribe,
 * synchronous commit()) against millrace, run by groups-kafka-python.py:
 * a first run consumes the whole topic and commits; restarted, the consumer
 * resumes at its commits and gets only the records produced since, and
 * commits those. kafka-python negotiates its own protocol versions
 * (JoinGroup/SyncGroup/Heartbeat/OffsetCommit/OffsetFetch at older versions
 * than librdkafka's).
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { startBroker, removeDir } from "../helpers/broker.js";
import { INTEROP_DIR, PYTHON, assertPresent, missingPythonModule, needs, runOk } from "./helpers.js";
import { checkResume } from "./groups-helpers.js";

const missing = missingPythonModule("kafka", "python3-kafka");
const SCRIPT = join(INTEROP_DIR, "groups-kafka-python.py");

const dirs: string[] = [];
after(() => dirs.forEach(removeDir));

test(
  "kafka-python: a group consumer consumes a topic, commits, and restarted resumes from its commits",
  needs(missing, 180_000),
  async () => {
    assertPresent(missing);
    const tb = await startBroker({ "group.initial.rebalance.delay.ms": "0" });
    dirs.push(tb.dir);
    const topic = "kp-group";
    const group = "kp-group-consumers";
    try {
      await checkResume(tb.bootstrap, topic, group, async (expect) => {
        const r = await runOk(
          PYTHON,
          [SCRIPT, JSON.stringify({ bootstrap: tb.bootstrap, group, topic, expect, deadline_s: 60 })],
          { timeoutMs: 90_000 },
        );
        const out = JSON.parse(r.stdout) as {
          records: [number, number, string][];
          assignment: number[];
          committed: Record<string, number>;
          api_version: string;
        };
        console.log(
          `# kafka-python (api_version ${out.api_version}): assigned [${out.assignment}], committed ` +
            `${JSON.stringify(out.committed)}`,
        );
        assert.deepEqual(out.assignment, [0, 1, 2, 3]);
        return out.records.map(([partition, offset, value]) => ({ partition, offset, value }));
      });
      assert.equal(tb.broker.metrics.requestErrors, 0, "the broker refused some of kafka-python's requests");
    } finally {
      await tb.stop();
    }
  },
);
