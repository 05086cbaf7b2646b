"""confluent-kafka-python against a secured millrace listener: produce N values,
consume them in a group with manual commits, print the values one per line.
argv: JSON config (librdkafka keys), topic, group, N."""
import json
import sys

from confluent_kafka import Consumer, Producer, TopicPartition

conf = json.loads(sys.argv[1])
topic, group, n = sys.argv[2], sys.argv[3], int(sys.argv[4])

p = Producer({**conf, "acks": "all"})
for i in range(n):
    p.produce(topic, key=f"k{i}", value=f"{topic}-{i}")
if p.flush(30) != 0:
    sys.exit("produce did not complete")

c = Consumer({**conf, "group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False})
c.subscribe([topic])
got = []
while len(got) < n:
    m = c.poll(30)
    if m is None:
        sys.exit(f"timed out after {len(got)} records")
    if m.error():
        sys.exit(f"consume error: {m.error()}")
    got.append(m.value().decode())
    c.commit(message=m, asynchronous=False)
committed = c.committed([TopicPartition(topic, part) for part in c.list_topics(topic).topics[topic].partitions], 10)
c.close()
print(json.dumps({"values": got, "committed": sum(max(tp.offset, 0) for tp in committed)}))
