#!/usr/bin/python3
"""Drives kafka-python (Debian python3-kafka) against a broker, for protocol capture.

    /usr/bin/python3 kafka_python_client.py <bootstrap> <api_version|auto> <topic> [--admin] [--compression gzip|snappy|lz4|zstd]

api_version pins the protocol versions kafka-python uses (e.g. 0.9 -> Produce v1/Fetch v1,
2.1 -> Produce v7); "auto" lets it probe the broker with ApiVersions. With --admin it also
creates, describes (DescribeConfigs) and deletes a topic.
"""
import argparse
import sys
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bootstrap")
    ap.add_argument("api_version")
    ap.add_argument("topic")
    ap.add_argument("--admin", action="store_true")
    ap.add_argument("--compression", default=None)
    a = ap.parse_args()
    ver = None if a.api_version == "auto" else tuple(int(x) for x in a.api_version.split("."))
    label = a.api_version.replace(".", "_")
    common = dict(bootstrap_servers=a.bootstrap, api_version=ver, client_id="kafka-python-" + label)

    if a.admin:
        admin = KafkaAdminClient(**common)
        admin_topic = a.topic + "-admin"
        admin.create_topics([NewTopic(admin_topic, num_partitions=2, replication_factor=1,
                                      topic_configs={"retention.ms": "3600000"})])
        time.sleep(0.5)
        admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, admin_topic)])
        admin.describe_configs([ConfigResource(ConfigResourceType.BROKER, "1")])
        admin.delete_topics([admin_topic])
        admin.close()

    producer = KafkaProducer(acks=1, linger_ms=5, compression_type=a.compression, **common)
    for i in range(3):
        producer.send(a.topic, key=b"key-%d" % i, value=b"value-%d from kafka-python %s" % (i, label.encode()))
    producer.flush()
    producer.send(a.topic, key=b"big", value=b"x" * 2000)
    producer.flush()
    producer.close()

    p0 = KafkaProducer(acks=0, **common)
    p0.send(a.topic, key=b"acks0", value=b"fire and forget")
    p0.flush()
    time.sleep(0.2)
    p0.close()

    group = None if ver is not None and ver < (0, 9) else "kafka-python-" + label
    consumer = KafkaConsumer(a.topic, group_id=group, auto_offset_reset="earliest",
                             consumer_timeout_ms=6000, enable_auto_commit=False,
                             heartbeat_interval_ms=300, session_timeout_ms=10000, fetch_max_wait_ms=200, **common)
    n = 0
    for _ in consumer:
        n += 1
        if n >= 5:
            break
    if group is not None:
        consumer.commit()
        deadline = time.time() + 1.2  # let heartbeats go out
        while time.time() < deadline:
            consumer.poll(timeout_ms=200)
    tp = TopicPartition(a.topic, 0)
    consumer.beginning_offsets([tp])
    consumer.end_offsets([tp])
    if ver is None or ver >= (0, 10, 1):
        consumer.offsets_for_times({tp: int(time.time() * 1000) - 60000})
    consumer.close()
    print("kafka-python %s: consumed %d" % (a.api_version, n))
    return 0 if n > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
