#!/usr/bin/env python3
"""confluent-kafka-python (librdkafka) against a millrace broker; driven by
confluent-kafka.test.ts.

Usage: confluent_kafka_client.py BOOTSTRAP CASES_JSON

CASES_JSON is a list of {"topic", "partitions", "n", "compression" (librdkafka
compression.type), "configs" (topic configs)}. For each case:
  - AdminClient.create_topics creates the topic (CreateTopics with configs);
  - a Producer with acks=all (idempotence off, as is the default) sends n
    keyed messages with headers and explicit timestamps round-robin over the
    partitions, and flush()es; every delivery report must be a success;
  - a Consumer reads every partition from OFFSET_BEGINNING with assign() only:
    group.id is set because the client insists on it, but subscribe() and
    commits are never used, so no group API is needed;
  - watermarks and offsets_for_times (ListOffsets by timestamp) are checked.
Finally describe_configs and delete_topics on an extra topic.

librdkafka's protocol debug log is captured, so the JSON printed on stdout
names every request type and version each client sent. Exits 1 with the
reason on stderr when a check fails. Every wait is bounded.
"""
import json
import logging
import re
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

BASE_TS = 1_700_000_000_000
DEADLINE_S = 120
# Values compress well, so librdkafka never sends a batch uncompressed because compressing it did not pay.
PAD = "|" + "payload " * 16
SENT = re.compile(r"Sent (\w+)Request \(v(\d+)")


def fail(msg):
    sys.stderr.write("confluent_kafka_client: " + msg + "\n")
    sys.exit(1)


class RequestLog(logging.Handler):
    """Collects "Sent <Api>Request (v<N>" lines from librdkafka's debug log."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.sent = set()
        self.lines = []
        self.coordinator = None  # the first cgrp line about looking for a group coordinator

    def emit(self, record):
        msg = record.getMessage()
        self.lines.append(msg)
        if len(self.lines) > 200:
            del self.lines[:100]
        if self.coordinator is None and "coordinator query" in msg:
            self.coordinator = msg
        m = SENT.search(msg)
        if m:
            self.sent.add("%s v%s" % (m.group(1), m.group(2)))


def logger_for(name, handler):
    log = logging.getLogger("millrace-interop-" + name)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    if handler not in log.handlers:
        log.addHandler(handler)
    return log


def wait(futures, what):
    for key, fut in futures.items():
        try:
            fut.result(timeout=60)
        except Exception as e:  # noqa: BLE001 - report whatever the client raised
            fail("%s %s failed: %s" % (what, key, e))


def produce(bootstrap, case, log):
    errors = []
    delivered = {}

    def on_delivery(err, msg):
        if err is not None:
            errors.append("%s [%s]: %s" % (msg.topic(), msg.partition(), err))
        else:
            delivered.setdefault(msg.partition(), []).append((msg.offset(), msg.key(), msg.value()))

    producer = Producer({
        "bootstrap.servers": bootstrap,
        "client.id": "millrace-interop-confluent",
        "acks": "all",
        "enable.idempotence": False,
        "linger.ms": 5,
        "compression.type": case["compression"],
        "debug": "protocol",
        "logger": log,
    })
    topic, parts, n = case["topic"], case["partitions"], case["n"]
    sent = {}
    for i in range(n):
        p = i % parts
        key = ("key-%d" % (i % 13)).encode()
        value = ("%s|p%d|%d%s" % (topic, p, i, PAD)).encode()
        while True:
            try:
                producer.produce(topic, value=value, key=key, partition=p, timestamp=BASE_TS + i,
                                 headers=[("seq", str(i).encode())], on_delivery=on_delivery)
                break
            except BufferError:  # local queue full: serve delivery reports, then retry
                producer.poll(0.1)
        sent.setdefault(p, []).append((key, value, BASE_TS + i, str(i).encode()))
    left = producer.flush(60)
    if left != 0:
        fail("%s: %d messages still undelivered after flush(60)" % (topic, left))
    if errors:
        fail("%s: delivery failed: %s" % (topic, "; ".join(errors[:5])))
    for p, recs in delivered.items():
        offsets = [r[0] for r in recs]
        if offsets != list(range(len(offsets))):
            fail("%s-%d: delivery reports are not offsets 0..%d in order: %r" % (topic, p, len(offsets) - 1, offsets[:20]))
        if [(k, v) for _, k, v in recs] != [(k, v) for k, v, _, _ in sent[p]]:
            fail("%s-%d: delivery reports are not in produce order" % (topic, p))
    return sent


def consume(bootstrap, case, sent, log):
    topic, parts = case["topic"], case["partitions"]
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "client.id": "millrace-interop-confluent",
        "group.id": "millrace-interop-assign-only",  # required by the client; never joined
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "enable.partition.eof": True,
        "fetch.wait.max.ms": 100,
        "debug": "protocol,cgrp",
        "logger": log,
    })
    md = consumer.list_topics(topic, timeout=30)
    tmd = md.topics.get(topic)
    if tmd is None or tmd.error is not None or sorted(tmd.partitions) != list(range(parts)):
        fail("%s: metadata %r" % (topic, tmd and (tmd.error, sorted(tmd.partitions))))
    for pmd in tmd.partitions.values():
        if pmd.leader != 1 or pmd.replicas != [1] or pmd.isrs != [1]:
            fail("%s-%d: leader %r replicas %r isrs %r" % (topic, pmd.id, pmd.leader, pmd.replicas, pmd.isrs))

    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(parts)])
    got = {p: [] for p in range(parts)}
    at_eof = set()
    deadline = time.monotonic() + DEADLINE_S
    while len(at_eof) < parts:
        if time.monotonic() > deadline:
            fail("%s: did not reach the end of every partition within %ds (at end: %r)" % (topic, DEADLINE_S, sorted(at_eof)))
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            if msg.error().code() == KafkaError._PARTITION_EOF:
                at_eof.add(msg.partition())
                continue
            fail("%s: consumer error %s" % (topic, msg.error()))
        at_eof.discard(msg.partition())
        got[msg.partition()].append(msg)

    for p in range(parts):
        exp = sent.get(p, [])
        msgs = got[p]
        if len(msgs) != len(exp):
            fail("%s-%d: consumed %d messages, produced %d" % (topic, p, len(msgs), len(exp)))
        for offset, (m, (key, value, ts, seq)) in enumerate(zip(msgs, exp)):
            if (m.offset(), m.key(), m.value()) != (offset, key, value):
                fail("%s-%d: consumed %r at offset %d, produced %r:%r at %d" % (topic, p, (m.key(), m.value()), m.offset(), key, value, offset))
            if m.timestamp() != (1, ts):  # (TIMESTAMP_CREATE_TIME, ts)
                fail("%s-%d@%d: timestamp %r, produced %r" % (topic, p, offset, m.timestamp(), ts))
            if m.headers() != [("seq", seq)]:
                fail("%s-%d@%d: headers %r" % (topic, p, offset, m.headers()))
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)
        if (low, high) != (0, len(exp)):
            fail("%s-%d: watermarks %r, expected (0, %d)" % (topic, p, (low, high), len(exp)))

    # ListOffsets by timestamp: the first offset whose timestamp is >= the one asked for.
    probe = []
    for p in range(parts):
        if sent.get(p):
            mid = len(sent[p]) // 2
            probe.append((p, sent[p][mid][2], mid))
    res = consumer.offsets_for_times([TopicPartition(topic, p, ts) for p, ts, _ in probe], timeout=30)
    for tp, (p, ts, want) in zip(res, probe):
        if tp.error is not None or tp.offset != want:
            fail("%s-%d: offsets_for_times(%d) = %r (error %r), expected %d" % (topic, p, ts, tp.offset, tp.error, want))
    consumer.close()
    return {str(p): len(got[p]) for p in range(parts)}


def admin_checks(admin, topic):
    wait(admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1, config={"retention.ms": "3600000"})],
                             operation_timeout=30, request_timeout=30), "create_topics")
    res = ConfigResource(ConfigResource.Type.TOPIC, topic)
    configs = admin.describe_configs([res], request_timeout=30)[res].result(timeout=60)
    retention = configs.get("retention.ms")
    if retention is None or retention.value != "3600000" or retention.is_default:
        fail("describe_configs %s: retention.ms %r" % (topic, retention and (retention.value, retention.is_default)))
    wait(admin.delete_topics([topic], operation_timeout=30, request_timeout=30), "delete_topics")
    md = admin.list_topics(timeout=30)
    if topic in md.topics:
        fail("%s still listed after delete_topics" % topic)
    return {"described": len(configs)}


def main():
    bootstrap = sys.argv[1]
    cases = json.loads(sys.argv[2])
    logs = {name: RequestLog() for name in ("admin", "producer", "consumer")}
    admin = AdminClient({"bootstrap.servers": bootstrap, "debug": "protocol", "logger": logger_for("admin", logs["admin"])})
    wait(admin.create_topics([NewTopic(c["topic"], num_partitions=c["partitions"], replication_factor=1, config=c["configs"]) for c in cases],
                             operation_timeout=30, request_timeout=30), "create_topics")
    consumed = {}
    for c in cases:
        sent = produce(bootstrap, c, logger_for("producer", logs["producer"]))
        consumed[c["topic"]] = consume(bootstrap, c, sent, logger_for("consumer", logs["consumer"]))
    admin_result = admin_checks(admin, "confluent-admin-probe")
    admin.poll(1)  # serve the admin client's queued log lines
    print(json.dumps({
        "consumed": consumed,
        "admin": admin_result,
        "requests": {name: sorted(h.sent) for name, h in logs.items()},
        "coordinator": logs["consumer"].coordinator,
    }))


if __name__ == "__main__":
    main()
