#!/usr/bin/python3
"""librdkafka (confluent-kafka-python) load for the consumer-group benchmark
(bench/groups/groups.ts).

  produce   BOOTSTRAP TOPIC COUNT SIZE
      -> {"records", "errors", "seconds", "rate", "mb_per_s"}
  consume   BOOTSTRAP TOPIC COUNT PARTITIONS assign|subscribe GROUP
      assign: assign() every partition from the beginning (no group protocol);
      subscribe: subscribe() as the only member of a new group
      (auto.offset.reset=earliest, auto-commit every 5 s as by default).
      -> {"records", "seconds" (first record to last), "total_seconds"
          (from assign()/subscribe() to the last record), "rate", "total_rate",
          "mb_per_s", "assigned_ms" (to the first assignment, subscribe only)}
  rebalance BOOTSTRAP TOPIC TRIALS HEARTBEAT_MS
      Per trial, a new group: member 1 subscribes and is assigned every
      partition; after a random part of one heartbeat interval (member 1
      only learns of a rebalance from a heartbeat), member 2 subscribes (t0)
      and both are polled until each holds its share of the new generation (t1). Both members live in this
      one thread, polled alternately, so each callback is seen within ~1 ms.
      -> {"trials": [{"both_ms", "member1_ms", "member2_ms"}...]}
"""
import json
import random
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

sys.path.insert(0, __import__("os").path.join(__import__("os").path.dirname(__file__), "..", "broker"))
import rdkafka_bench  # noqa: E402


def produce(bootstrap, topic, count, size):
    # The broker benchmark's producer (same librdkafka settings), at acks=1.
    return rdkafka_bench.produce(bootstrap, topic, count, size, "1")

def consume(bootstrap, topic, count, partitions, mode, group):
    c = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": mode == "subscribe",
        "fetch.max.bytes": 52428800,
        "max.partition.fetch.bytes": 10485760,
        "queued.min.messages": 1000000,
        "fetch.wait.max.ms": 100,
    })
    assigned = [None]

    def on_assign(_c, _parts):
        if assigned[0] is None:
            assigned[0] = time.perf_counter()

    t0 = time.perf_counter()
    if mode == "assign":
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    else:
        c.subscribe([topic], on_assign=on_assign)
    got = 0
    nbytes = 0
    start = None
    deadline = time.monotonic() + 300
    while got < count and time.monotonic() < deadline:
        msgs = c.consume(num_messages=10000, timeout=1)
        if not msgs:
            continue
        if start is None:
            start = time.perf_counter()
        for m in msgs:
            if m.error() is None:
                got += 1
                nbytes += len(m.value())
    end = time.perf_counter()
    c.close()
    secs = end - (start or end)
    total = end - t0
    return {
        "records": got,
        "seconds": secs,
        "total_seconds": total,
        "rate": got / secs if secs else 0,
        "total_rate": got / total if total else 0,
        "mb_per_s": nbytes / secs / 1e6 if secs else 0,
        "assigned_ms": (assigned[0] - t0) * 1000 if assigned[0] is not None else None,
    }


def rebalance(bootstrap, topic, trials, heartbeat_ms):
    rng = random.Random(heartbeat_ms)  # reproducible phases
    out = []
    for trial in range(trials):
        group = "bench-rebalance-%d-%d-%d" % (heartbeat_ms, trial, int(time.time() * 1000))
        state = {1: None, 2: None}
        when = {1: None, 2: None}

        def member(n):
            def on_assign(_c, parts):
                state[n] = sorted(p.partition for p in parts)
                when[n] = time.perf_counter()

            def on_revoke(_c, _parts):
                state[n] = []

            c = Consumer({
                "bootstrap.servers": bootstrap,
                "group.id": group,
                "client.id": "bench-member-%d" % n,
                "session.timeout.ms": 6000,
                "heartbeat.interval.ms": heartbeat_ms,
                "enable.auto.commit": False,
            })
            return c, on_assign, on_revoke

        c1, a1, r1 = member(1)
        c2, a2, r2 = member(2)
        c1.subscribe([topic], on_assign=a1, on_revoke=r1)
        deadline = time.monotonic() + 60
        while not (state[1] and len(state[1]) == 4):
            if time.monotonic() > deadline:
                raise SystemExit("member 1 was never assigned")
            c1.poll(0.001)
        # Warm member 2's connections (metadata) before the measured join, so t0..t1 is the group protocol.
        c2.list_topics(topic, timeout=10)
        # Member 1 learns of the rebalance from its next heartbeat, due heartbeat.interval.ms after
        # its assignment: join at a random phase of that interval (else every trial is the worst case).
        phase_end = time.perf_counter() + rng.uniform(0, heartbeat_ms / 1000.0)
        while time.perf_counter() < phase_end:
            c1.poll(0.001)
        t0 = time.perf_counter()
        c2.subscribe([topic], on_assign=a2, on_revoke=r2)
        deadline = time.monotonic() + 60
        while True:
            if time.monotonic() > deadline:
                raise SystemExit("the 2-member group never settled: %r" % state)
            c1.poll(0.001)
            c2.poll(0.001)
            s1, s2 = state[1], state[2]
            if s1 and s2 and len(s1) + len(s2) == 4 and not set(s1) & set(s2):
                break
        t1 = time.perf_counter()
        out.append({"both_ms": (t1 - t0) * 1000, "member1_ms": (when[1] - t0) * 1000, "member2_ms": (when[2] - t0) * 1000})
        c2.close()
        c1.close()
    return {"trials": out}


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "produce":
        r = produce(args[0], args[1], int(args[2]), int(args[3]))
    elif mode == "consume":
        r = consume(args[0], args[1], int(args[2]), int(args[3]), args[4], args[5])
    elif mode == "rebalance":
        r = rebalance(args[0], args[1], int(args[2]), int(args[3]))
    else:
        raise SystemExit("unknown mode " + mode)
    print(json.dumps(r), flush=True)
