#!/usr/bin/env python3
"""Consumer-group costs of a running Kafka-compatible cluster (Paddock or Apache Kafka), with
confluent-kafka (librdkafka):

- commit: one consumer commits synchronously N times in a row (each commit an OffsetCommit that
  the coordinator acknowledges once the ISR of its __consumer_offsets partition has it); prints
  commits/s and the latency percentiles.
- rebalance: M consumers join a group on a topic of P partitions one after another; for each join,
  the time from the new consumer's subscribe() until every partition is owned by exactly one member
  again (group.initial.rebalance.delay.ms is part of the first join).

usage: kafka-group-bench.py --bootstrap HOST:PORT[,...] [--commits N] [--members M] [--partitions P]
The topic is created with Kafka's CreateTopics (replication factor --replication-factor, default 3).
"""
import argparse
import json
import threading
import time
import uuid

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--commits", type=int, default=2000)
    p.add_argument("--members", type=int, default=3)
    p.add_argument("--partitions", type=int, default=12)
    p.add_argument("--replication-factor", type=int, default=3)
    a = p.parse_args()
    topic = "groupbench-%s" % uuid.uuid4().hex[:6]
    admin = AdminClient({"bootstrap.servers": a.bootstrap})
    admin.create_topics([NewTopic(topic, a.partitions, a.replication_factor)])[topic].result(30)
    time.sleep(2)  # leaders elected; not part of any measurement

    # Commits: one consumer, assign (no group membership needed for simple commits), sync commits.
    c = Consumer({"bootstrap.servers": a.bootstrap, "group.id": "commit-" + topic, "enable.auto.commit": False})
    c.assign([TopicPartition(topic, 0, 0)])
    latencies = []
    for i in range(a.commits):
        t = time.perf_counter()
        c.commit(offsets=[TopicPartition(topic, i % a.partitions, i)], asynchronous=False)
        latencies.append((time.perf_counter() - t) * 1000)
    c.close()
    total = sum(latencies) / 1000
    print(json.dumps({"phase": "commit", "commits": a.commits, "per_s": round(a.commits / total),
                      "p50_ms": round(percentile(latencies, 0.5), 2), "p99_ms": round(percentile(latencies, 0.99), 2)}))

    # Rebalances: members join one by one.
    group = "rebalance-" + topic
    owned = {}
    lock = threading.Lock()
    stop = threading.Event()
    consumers = []

    def run(index):
        consumer = Consumer({"bootstrap.servers": a.bootstrap, "group.id": group, "session.timeout.ms": 10000,
                             "heartbeat.interval.ms": 500})

        def on_assign(_, parts):
            with lock:
                owned[index] = {x.partition for x in parts}

        def on_revoke(_, parts):
            with lock:
                owned[index] = set()
        consumer.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
        consumers.append(consumer)
        while not stop.is_set():
            consumer.poll(0.1)
        consumer.close()

    threads = []
    for m in range(a.members):
        t0 = time.perf_counter()
        threads.append(threading.Thread(target=run, args=(m,)))
        threads[-1].start()
        while True:
            with lock:
                sets = [owned.get(i, set()) for i in range(m + 1)]
            flat = [x for s in sets for x in s]
            if sorted(flat) == list(range(a.partitions)) and all(sets):
                break
            time.sleep(0.005)
        print(json.dumps({"phase": "rebalance", "members": m + 1, "seconds": round(time.perf_counter() - t0, 3)}))
    stop.set()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
