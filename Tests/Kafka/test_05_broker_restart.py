"""SIGKILL the broker that leads every partition of a topic (one replica each) while acks=1
produce requests are in flight, restart it: the controller marks the partitions offline while it
is gone (leader -1, last ISR kept, as Kafka's ZooKeeper-mode controller does), the restarted
broker recovers its segment logs, leads again, and serves every acknowledged message at the
offset it was acknowledged with; offsets stay consecutive and nothing unknown appears."""

import time

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from kafkacluster import unique

PARTITIONS = 3


def _value(i):
    return b"durable-%07d-" % i + b"x" * (i % 40)


@pytest.mark.timeout(150)
def test_killed_leader_serves_every_acknowledged_message_after_restart(fresh_cluster):
    c = fresh_cluster
    victim = c.broker(2)
    topic = unique("durable")
    c.wait_listening()
    c.create_topic(topic, [[2]] * PARTITIONS)

    acked = {}   # (partition, offset) -> (key, value)
    failed = []  # exceptions of sends that were not acknowledged (unknown outcome)

    def on_ack(key, value):
        return lambda m: acked.__setitem__((m.partition, m.offset), (key, value))

    producer = KafkaProducer(bootstrap_servers=c.bootstrap, acks=1, retries=0, linger_ms=2,
                             request_timeout_ms=5000, delivery_timeout_ms=10000, max_block_ms=5000)
    try:
        def send(i):
            key, value = b"k%d" % (i % 50), _value(i)
            producer.send(topic, key=key, value=value, partition=i % PARTITIONS) \
                .add_callback(on_ack(key, value)).add_errback(failed.append)

        for i in range(6000):
            send(i)
        producer.flush(timeout=60)
        assert len(acked) == 6000 and not failed, "before the kill: %d acked, failures %r" % (len(acked), failed[:3])
        for i in range(6000, 9000):  # in flight or queued when the broker dies
            send(i)
        victim.kill()
        producer.flush(timeout=30)
    finally:
        producer.close(timeout=10)
    print("acknowledged %d, failed %d" % (len(acked), len(failed)))

    offline = c.wait(lambda: all(c.partition_state(topic, p)["leader"] == -1 for p in range(PARTITIONS)) and
                     [c.partition_state(topic, p) for p in range(PARTITIONS)],
                     c.session_timeout_ms / 1000 + 20, "partitions of %s offline after broker 2 died" % topic)
    assert all(s["isr"] == [2] for s in offline), offline

    victim.start()
    c.wait_registered([2], timeout=c.session_timeout_ms / 1000 * 2 + 30)
    c.wait_leaders(topic, PARTITIONS, among=[2])
    c.wait_listening([victim])
    c.wait_metadata_leaders(topic, PARTITIONS)

    consumer = KafkaConsumer(bootstrap_servers=c.bootstrap, group_id=None, enable_auto_commit=False,
                             auto_offset_reset="none", fetch_max_wait_ms=100, request_timeout_ms=15000)
    try:
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(tps)
        consumer.seek_to_beginning()
        ends = consumer.end_offsets(tps)
        got = {}
        deadline = time.monotonic() + 60
        while any(consumer.position(tp) < ends[tp] for tp in tps):
            if time.monotonic() > deadline:
                c.fail("read %d records, end offsets %r" % (len(got), ends))
            for batch in consumer.poll(timeout_ms=500).values():
                for r in batch:
                    got[(r.partition, r.offset)] = (r.key, r.value)
    finally:
        consumer.close()

    for tp in tps:
        offsets = sorted(o for p, o in got if p == tp.partition)
        assert offsets == list(range(ends[tp])), "partition %d: offsets not consecutive from 0" % tp.partition
    missing = sorted(k for k in acked if k not in got)
    assert not missing, "%d acknowledged records not served after restart, e.g. %r" % (len(missing), missing[:5])
    wrong = sorted(k for k in acked if got[k] != acked[k])
    assert not wrong, "acknowledged records changed: %r" % [(k, acked[k], got[k]) for k in wrong[:3]]
    sent = {(b"k%d" % (i % 50), _value(i)) for i in range(9000)}
    assert set(got.values()) <= sent, "records that were never sent"
