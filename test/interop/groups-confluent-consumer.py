#!/usr/bin/env python3
"""One confluent-kafka-python (librdkafka) consumer in a consumer group,
subscribed to one topic; driven by groups-confluent-kafka.test.ts and the
group benchmark.

Usage: groups-confluent-consumer.py CONFIG_JSON

CONFIG_JSON: {"bootstrap", "group", "topic",
  "session_timeout_ms" (default 6000), "heartbeat_interval_ms" (default 1000),
  "commit_every": N   synchronous commit of the consumed positions after every
                      N records (0: only the commits below),
  "stop_after": N     after N records: commit synchronously, then consume
                      "uncommitted" more records without committing, print
                      {"ev": "halt"} and stop polling (librdkafka keeps
                      heartbeating in its own thread, so the member keeps its
                      partitions until it is killed or told "close"),
  "uncommitted": N,
  "deadline_s" (default 120): exit 3 when reached}

Prints one JSON object per line on stdout, flushed:
  {"ev": "assign", "parts": [..], "t": ms}      on_assign (the whole assignment)
  {"ev": "revoke", "parts": [..], "t": ms}      on_revoke
  {"ev": "rec", "p": partition, "o": offset, "v": value}
  {"ev": "commit", "offsets": {"p": next offset}, "t": ms}   after a synchronous commit returned
  {"ev": "halt"}
  {"ev": "closed", "requests": ["JoinGroup v5", ...]}   after close(), with the group requests sent
  {"ev": "commit_failed", "errors": [..]}     a commit that failed (those records stay uncommitted)
Partitions being revoked are committed first (in on_revoke, the usual pattern).
Commands on stdin, one a line: "close" (commit the consumed positions unless
halted, close() -- which leaves the group -- and exit 0).
"""
import json
import logging
import re
import sys
import threading
import time

from confluent_kafka import Consumer, KafkaException, TopicPartition

SENT = re.compile(r"Sent (\w+)Request \(v(\d+)")
GROUP_APIS = {"FindCoordinator", "JoinGroup", "SyncGroup", "Heartbeat", "LeaveGroup", "OffsetCommit", "OffsetFetch"}


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def now_ms():
    return int(time.time() * 1000)


class RequestLog(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.sent = set()

    def emit(self, record):
        m = SENT.search(record.getMessage())
        if m and m.group(1) in GROUP_APIS:
            self.sent.add("%s v%s" % (m.group(1), m.group(2)))


def main():
    cfg = json.loads(sys.argv[1])
    topic = cfg["topic"]
    commit_every = int(cfg.get("commit_every", 0))
    stop_after = cfg.get("stop_after")
    uncommitted = int(cfg.get("uncommitted", 0))
    deadline = time.monotonic() + float(cfg.get("deadline_s", 120))

    handler = RequestLog()
    log = logging.getLogger("millrace-groups-%d" % id(handler))
    log.setLevel(logging.DEBUG)
    log.propagate = False
    log.addHandler(handler)

    c = Consumer(
        {
            "bootstrap.servers": cfg["bootstrap"],
            "group.id": cfg["group"],
            "client.id": cfg.get("client_id", "millrace-groups"),
            "session.timeout.ms": int(cfg.get("session_timeout_ms", 6000)),
            "heartbeat.interval.ms": int(cfg.get("heartbeat_interval_ms", 1000)),
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "debug": "protocol",
        },
        logger=log,
    )

    closing = threading.Event()

    def read_stdin():
        for line in sys.stdin:
            if line.strip() == "close":
                closing.set()
                return
        closing.set()  # stdin closed: the driver is gone

    threading.Thread(target=read_stdin, daemon=True).start()

    def on_assign(_c, parts):
        emit({"ev": "assign", "parts": sorted(p.partition for p in parts), "t": now_ms()})

    positions = {}  # partition -> next offset to consume, for the partitions owned now

    def commit():
        if not positions:
            return True
        offsets = [TopicPartition(topic, p, o) for p, o in sorted(positions.items())]
        try:
            res = c.commit(offsets=offsets, asynchronous=False)
            errs = [str(tp.error) for tp in res or [] if tp.error is not None]
        except KafkaException as e:
            errs = [str(e)]
        if errs:
            # e.g. REBALANCE_IN_PROGRESS during a rebalance: these records stay uncommitted.
            emit({"ev": "commit_failed", "errors": errs, "t": now_ms()})
            return False
        emit({"ev": "commit", "offsets": {str(p): o for p, o in sorted(positions.items())}, "t": now_ms()})
        return True

    def on_revoke(_c, parts):
        emit({"ev": "revoke", "parts": sorted(p.partition for p in parts), "t": now_ms()})
        # The usual pattern: commit what was consumed before giving the partitions away
        # (the member is still in its generation while the group prepares the rebalance),
        # unless halted: a halted consumer's uncommitted records must stay uncommitted...
        if not halted:
            commit()
        # ...and never commit these positions again over their next owner's.
        for tp in parts:
            positions.pop(tp.partition, None)

    c.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)

    consumed = 0
    since_commit = 0
    halted = False

    while not closing.is_set():
        if time.monotonic() > deadline:
            sys.stderr.write("groups-confluent-consumer: deadline reached\n")
            sys.exit(3)
        if halted:
            closing.wait(0.1)
            continue
        msg = c.poll(0.1)
        if msg is None:
            continue
        if msg.error():
            # Partition EOF is not enabled; anything else is worth seeing but not fatal.
            sys.stderr.write("consumer error: %s\n" % msg.error())
            continue
        p, o = msg.partition(), msg.offset()
        emit({"ev": "rec", "p": p, "o": o, "v": msg.value().decode("utf8")})
        positions[p] = o + 1
        consumed += 1
        since_commit += 1
        if stop_after is not None and consumed == int(stop_after):
            commit()
            since_commit = 0
            if uncommitted == 0:
                halted = True
                emit({"ev": "halt"})
            continue
        if stop_after is not None and consumed == int(stop_after) + uncommitted:
            halted = True
            emit({"ev": "halt"})
            continue
        if commit_every and since_commit >= commit_every:
            commit()
            since_commit = 0

    if not halted:
        commit()
    c.close()
    emit({"ev": "closed", "requests": sorted(handler.sent)})


if __name__ == "__main__":
    main()
