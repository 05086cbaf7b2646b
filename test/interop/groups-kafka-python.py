#!/usr/bin/env python3
"""kafka-python's group consumer (KafkaConsumer(group_id=...), subscribe to a
topic, auto_offset_reset=earliest, auto-commit off) against millrace; driven by
groups-kafka-python.test.ts.

Usage: groups-kafka-python.py CONFIG_JSON
CONFIG_JSON: {"bootstrap", "group", "topic", "expect", "deadline_s"}

Polls until `expect` records have arrived, commits them synchronously
(commit(): the consumed positions of the assignment), closes without
auto-commit, and prints one JSON object on stdout:
  {"records": [[partition, offset, value], ...], "assignment": [..],
   "committed": {"p": offset}, "api_version": "x.y.z"}
Exits 1 with the reason on stderr when `expect` records do not arrive in time.
"""
import json
import sys
import time

from kafka import KafkaConsumer, TopicPartition


def main():
    cfg = json.loads(sys.argv[1])
    topic = cfg["topic"]
    expect = int(cfg["expect"])
    deadline = time.monotonic() + float(cfg.get("deadline_s", 60))
    c = KafkaConsumer(
        topic,
        bootstrap_servers=cfg["bootstrap"],
        group_id=cfg["group"],
        client_id="millrace-groups-kafka-python",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        session_timeout_ms=6000,
        heartbeat_interval_ms=1000,
    )
    records = []
    while len(records) < expect:
        if time.monotonic() > deadline:
            sys.stderr.write("groups-kafka-python: %d of %d records before the deadline\n" % (len(records), expect))
            sys.exit(1)
        for tp, msgs in c.poll(timeout_ms=200).items():
            for m in msgs:
                records.append([tp.partition, m.offset, m.value.decode("utf8")])
    assignment = sorted(tp.partition for tp in c.assignment())
    c.commit()
    committed = {str(p): c.committed(TopicPartition(topic, p)) for p in assignment}
    api_version = ".".join(str(x) for x in c.config["api_version"])
    c.close(autocommit=False)
    sys.stdout.write(json.dumps({"records": records, "assignment": assignment, "committed": committed, "api_version": api_version}) + "\n")


if __name__ == "__main__":
    main()
