#!/usr/bin/python3
"""librdkafka (confluent-kafka-python) load for the broker benchmarks.

  produce  BOOTSTRAP TOPIC COUNT SIZE ACKS          -> {"records", "seconds", "rate", "mb_per_s"}
  consume  BOOTSTRAP TOPIC COUNT PARTITIONS          -> {"records", "seconds", "rate", "mb_per_s"}
  latency-produce BOOTSTRAP TOPIC RATE SECONDS      (values carry their send time)
  latency-consume BOOTSTRAP TOPIC COUNT PARTITIONS   -> {"p50_ms", "p99_ms", "max_ms", "records"}
"""
import json
import struct
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition, OFFSET_BEGINNING, OFFSET_END


def produce(bootstrap, topic, count, size, acks):
    p = Producer({
        "bootstrap.servers": bootstrap,
        "acks": acks,
        "linger.ms": 5,
        "batch.num.messages": 10000,
        "batch.size": 1000000,
        "queue.buffering.max.messages": 1000000,
        "queue.buffering.max.kbytes": 1048576,
        "enable.idempotence": False,
        "compression.codec": "none",
    })
    payload = b"x" * size
    errors = [0]

    def cb(err, _msg):
        if err is not None:
            errors[0] += 1

    start = time.perf_counter()
    for i in range(count):
        while True:
            try:
                p.produce(topic, payload, on_delivery=cb)
                break
            except BufferError:
                p.poll(0.001)
        if i % 10000 == 0:
            p.poll(0)
    p.flush(120)
    secs = time.perf_counter() - start
    return {"records": count, "errors": errors[0], "seconds": secs, "rate": count / secs, "mb_per_s": count * size / secs / 1e6}


def consume(bootstrap, topic, count, partitions):
    c = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "bench-unused",
        "enable.auto.commit": False,
        "fetch.max.bytes": 52428800,
        "max.partition.fetch.bytes": 10485760,
        "queued.min.messages": 1000000,
        "fetch.wait.max.ms": 100,
    })
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    got = 0
    nbytes = 0
    start = None
    while got < count:
        msgs = c.consume(num_messages=10000, timeout=5)
        if not msgs:
            break
        if start is None:
            start = time.perf_counter()
        for m in msgs:
            if m.error() is None:
                got += 1
                nbytes += len(m.value())
    secs = time.perf_counter() - (start or time.perf_counter())
    c.close()
    return {"records": got, "seconds": secs, "rate": got / secs if secs else 0, "mb_per_s": nbytes / secs / 1e6 if secs else 0}


def latency_produce(bootstrap, topic, rate, seconds):
    p = Producer({"bootstrap.servers": bootstrap, "acks": 1, "linger.ms": 0, "enable.idempotence": False})
    total = int(rate * seconds)
    start = time.perf_counter()
    pad = b"y" * 92
    for i in range(total):
        due = start + i / rate
        now = time.perf_counter()
        if due > now:
            time.sleep(due - now)
        p.produce(topic, struct.pack(">q", time.time_ns()) + pad)
        p.poll(0)
    p.flush(60)
    return {"records": total}


def latency_consume(bootstrap, topic, count, partitions):
    c = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "bench-unused",
        "enable.auto.commit": False,
        "fetch.wait.max.ms": 500,
        "fetch.min.bytes": 1,
        "fetch.error.backoff.ms": 0,
    })
    c.assign([TopicPartition(topic, p, OFFSET_END) for p in range(partitions)])
    print("ready", flush=True)
    lat = []
    deadline = time.time() + 120
    while len(lat) < count and time.time() < deadline:
        # poll() hands over each message as soon as librdkafka has it (consume(n) would wait for n).
        m = c.poll(1)
        if m is not None and m.error() is None:
            lat.append((time.time_ns() - struct.unpack(">q", m.value()[:8])[0]) / 1e6)
    c.close()
    lat.sort()
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else None
    return {"records": len(lat), "p50_ms": pick(0.5), "p99_ms": pick(0.99), "max_ms": lat[-1] if lat else None}


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "produce":
        r = produce(args[0], args[1], int(args[2]), int(args[3]), args[4])
    elif mode == "consume":
        r = consume(args[0], args[1], int(args[2]), int(args[3]))
    elif mode == "latency-produce":
        r = latency_produce(args[0], args[1], float(args[2]), float(args[3]))
    elif mode == "latency-consume":
        r = latency_consume(args[0], args[1], int(args[2]), int(args[3]))
    else:
        raise SystemExit("unknown mode " + mode)
    print(json.dumps(r), flush=True)
