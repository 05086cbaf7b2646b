#!/usr/bin/env python3
"""kafka-python against a millrace broker; driven by kafka-python.test.ts.

Usage: kafka_python_client.py BOOTSTRAP CASES_JSON

CASES_JSON is a list of {"topic", "partitions", "n", "api_version" (null or
[major, minor]), "compression" (null, "gzip", "snappy", "lz4", "zstd")}. The
topics exist already. For each case a KafkaProducer(acks='all') with that
api_version sends n keyed messages round-robin over the partitions
(api_version (0, 9) sends magic 0 message sets, (0, 10) magic 1, the default
magic 2 record batches). Then one modern KafkaConsumer, without a consumer
group (group_id=None, assign + seek_to_beginning), reads every topic back and
checks, per partition: every value in send order, at the offsets the
producer was given, with the right key and timestamp.

Prints one JSON object on stdout; exits 1 with the reason on stderr when a
check fails. Every wait is bounded.
"""
import json
import sys
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

BASE_TS = 1_700_000_000_000
DEADLINE_S = 120


def fail(msg):
    sys.stderr.write("kafka_python_client: " + msg + "\n")
    sys.exit(1)


def magic_of(case):
    av = case["api_version"]
    if av is None:
        return 2
    return 0 if tuple(av) < (0, 10) else (1 if tuple(av) < (0, 11) else 2)


def produce(bootstrap, case):
    kwargs = dict(
        bootstrap_servers=bootstrap,
        client_id="millrace-interop-kafka-python",
        acks="all",
        retries=0,  # no retries: nothing can be reordered
        linger_ms=5,
        compression_type=case["compression"],
        request_timeout_ms=30000,
    )
    if case["api_version"] is not None:
        kwargs["api_version"] = tuple(case["api_version"])
    producer = KafkaProducer(**kwargs)
    topic, parts, n = case["topic"], case["partitions"], case["n"]
    magic = magic_of(case)
    sent = []
    for i in range(n):
        p = i % parts
        key = ("key-%d" % (i % 13)).encode()
        value = ("%s|p%d|%d" % (topic, p, i)).encode()
        ts = BASE_TS + i
        fut = producer.send(topic, key=key, value=value, partition=p, timestamp_ms=ts)
        # magic 0 has no timestamp: the broker stores Kafka's NO_TIMESTAMP (-1)
        sent.append((p, key, value, ts if magic >= 1 else -1, fut))
    producer.flush(timeout=60)
    out = {}
    for p, key, value, ts, fut in sent:
        md = fut.get(timeout=60)
        if md.partition != p or md.topic != topic:
            fail("%s: sent to %d, acknowledged for %s-%d" % (topic, p, md.topic, md.partition))
        out.setdefault(p, []).append((md.offset, key, value, ts))
    producer.close(timeout=10)
    for p, recs in out.items():
        offsets = [r[0] for r in recs]
        if offsets != list(range(offsets[0], offsets[0] + len(offsets))) or offsets[0] != 0:
            fail("%s-%d: acknowledged offsets are not 0..%d in send order: %r" % (topic, p, len(offsets) - 1, offsets[:20]))
    return out


def consume_all(bootstrap, cases, expected):
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        client_id="millrace-interop-kafka-python",
        group_id=None,
        enable_auto_commit=False,
        fetch_max_wait_ms=100,
        request_timeout_ms=30000,
    )
    tps = [TopicPartition(c["topic"], p) for c in cases for p in range(c["partitions"])]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    ends = consumer.end_offsets(tps)
    got = {tp: [] for tp in tps}
    deadline = time.monotonic() + DEADLINE_S
    polls = 0
    while any(consumer.position(tp) < ends[tp] for tp in tps):
        if time.monotonic() > deadline:
            fail("consumer did not reach the end offsets within %ds: %r" % (DEADLINE_S, {str(tp): (consumer.position(tp), ends[tp]) for tp in tps}))
        polls += 1
        for tp, msgs in consumer.poll(timeout_ms=200, max_records=5000).items():
            got[tp].extend(msgs)
    version = consumer.config["api_version"]
    consumer.close()

    summary = {}
    for c in cases:
        topic = c["topic"]
        for p in range(c["partitions"]):
            tp = TopicPartition(topic, p)
            exp = expected[topic].get(p, [])
            msgs = got[tp]
            if ends[tp] != len(exp):
                fail("%s-%d: end offset %d, %d messages acknowledged" % (topic, p, ends[tp], len(exp)))
            if len(msgs) != len(exp):
                fail("%s-%d: consumed %d messages, produced %d" % (topic, p, len(msgs), len(exp)))
            for m, (offset, key, value, ts) in zip(msgs, exp):
                if (m.offset, m.key, m.value) != (offset, key, value):
                    fail("%s-%d: consumed %r at offset %d, produced %r:%r at %d" % (topic, p, (m.key, m.value), m.offset, key, value, offset))
                if m.timestamp != ts or m.timestamp_type != 0:
                    fail("%s-%d@%d: timestamp %r (type %r), expected %r (CreateTime)" % (topic, p, m.offset, m.timestamp, m.timestamp_type, ts))
        summary[topic] = {str(p): len(expected[topic].get(p, [])) for p in range(c["partitions"])}
    return {"consumed": summary, "consumer_api_version": list(version), "polls": polls}


def main():
    bootstrap = sys.argv[1]
    cases = json.loads(sys.argv[2])
    expected = {}
    for c in cases:
        expected[c["topic"]] = produce(bootstrap, c)
    result = consume_all(bootstrap, cases, expected)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
