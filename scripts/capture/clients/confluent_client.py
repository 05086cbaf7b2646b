#!/usr/bin/python3
"""Drives confluent-kafka-python (Debian python3-confluent-kafka, librdkafka) for protocol capture.

    /usr/bin/python3 confluent_client.py <bootstrap> <topic> <scenario>

scenarios: admin (create/describe configs/delete topics, metadata), produce (keyed, every
compression codec, acks 0/1/all, idempotent), consume (consumer group, commit, offsets),
txn (transactional producer).
"""
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic


def admin(bs, topic):
    a = AdminClient({"bootstrap.servers": bs, "client.id": "confluent-admin"})
    a.list_topics(timeout=10)
    t = topic + "-admin"
    for f in a.create_topics([NewTopic(t, num_partitions=2, replication_factor=1,
                                       config={"cleanup.policy": "compact"})]).values():
        f.result()
    time.sleep(0.5)
    for f in a.describe_configs([ConfigResource("topic", t)]).values():
        f.result()
    for f in a.describe_configs([ConfigResource("broker", "1")]).values():
        f.result()
    a.list_topics(topic=t, timeout=10)
    for f in a.delete_topics([t], operation_timeout=10).values():
        f.result()


def produce(bs, topic):
    for codec in ["none", "gzip", "snappy", "lz4", "zstd"]:
        for acks in ["all", "1", "0"]:
            if acks != "all" and codec != "none":
                continue
            p = Producer({"bootstrap.servers": bs, "client.id": "confluent-producer",
                          "compression.codec": codec, "acks": acks, "linger.ms": 5,
                          "enable.idempotence": False})
            for i in range(3):
                p.produce(topic, key=b"k%d" % i, value=(b"%s acks=%s message %d " % (codec.encode(), acks.encode(), i)) * 4,
                          headers=[("h", b"v%d" % i)])
            p.flush(10)
    p = Producer({"bootstrap.servers": bs, "client.id": "confluent-idempotent", "enable.idempotence": True})
    for i in range(3):
        p.produce(topic, key=b"idem-%d" % i, value=b"idempotent %d" % i)
    p.flush(10)


def consume(bs, topic):
    c = Consumer({"bootstrap.servers": bs, "client.id": "confluent-consumer", "group.id": "confluent-group",
                  "auto.offset.reset": "earliest", "enable.auto.commit": False,
                  "session.timeout.ms": 10000, "heartbeat.interval.ms": 500})
    c.subscribe([topic])
    n = 0
    deadline = time.time() + 20
    while time.time() < deadline and n < 10:
        m = c.poll(1.0)
        if m is None or m.error():
            continue
        n += 1
    c.commit(asynchronous=False)
    time.sleep(1.2)  # let a heartbeat go out
    tp = TopicPartition(topic, 0)
    c.get_watermark_offsets(tp, timeout=5, cached=False)
    c.offsets_for_times([TopicPartition(topic, 0, int(time.time() * 1000) - 60000)], timeout=5)
    c.committed([tp], timeout=5)
    c.close()
    print("confluent-kafka: consumed %d" % n)
    if n == 0:
        raise SystemExit(1)


def txn(bs, topic):
    p = Producer({"bootstrap.servers": bs, "client.id": "confluent-txn", "transactional.id": "confluent-txn-1"})
    p.init_transactions(10)
    p.begin_transaction()
    for i in range(3):
        p.produce(topic, key=b"txn-%d" % i, value=b"transactional %d" % i)
    p.commit_transaction(10)
    p.begin_transaction()
    p.produce(topic, key=b"txn-abort", value=b"aborted")
    p.abort_transaction(10)


def main():
    bs, topic, scenario = sys.argv[1:4]
    {"admin": admin, "produce": produce, "consume": consume, "txn": txn}[scenario](bs, topic)


if __name__ == "__main__":
    try:
        main()
    except KafkaException as e:
        print("confluent-kafka error: %s" % e, file=sys.stderr)
        sys.exit(1)
