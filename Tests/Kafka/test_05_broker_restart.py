"""SIGKILL the broker that leads every partition of a topic (one replica each) while acks=1
produce requests are in flight, restart it: the controller marks the partitions offline while it
is gone (leader -1, last ISR kept, as Kafka's ZooKeeper-mode controller does), the restarted
broker recovers its segment logs, leads again, and serves every acknowledged message at the
offset it was acknowledged with; offsets stay consecutive and nothing unknown appears. And the
clean path: SIGTERM deregisters at once (closed session) and a restart serves the whole log."""

import json
import signal
import subprocess

import pytest
from kafka import KafkaProducer

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

    offline = c.wait_offline(topic, PARTITIONS)
    assert all(s["isr"] == [2] for s in offline), offline

    c.restart_leading(victim, topic, PARTITIONS)
    got, ends = c.read_to_end(topic, PARTITIONS)

    for partition, end in ends.items():
        offsets = sorted(o for p, o in got if p == partition)
        assert offsets == list(range(end)), "partition %d: offsets not consecutive from 0" % partition
    missing = sorted(k for k in acked if k not in got)
    assert not missing, "%d acknowledged records not served after restart, e.g. %r" % (len(missing), missing[:5])
    wrong = sorted(k for k in acked if got[k] != acked[k])
    assert not wrong, "acknowledged records changed: %r" % [(k, acked[k], got[k]) for k in wrong[:3]]
    sent = {(b"k%d" % (i % 50), _value(i)) for i in range(9000)}
    assert set(got.values()) <= sent, "records that were never sent"


def test_sigterm_closes_the_session_and_a_restart_serves_the_log(cluster):
    """SIGTERM is a clean shutdown: the broker exits 0 and its registration vanishes with its
    session at once (well before the session could expire), its partitions go offline; restarted,
    it serves everything it had."""
    broker = cluster.broker(3)
    topic = unique("sigterm")
    cluster.wait_listening()
    cluster.create_topic(topic, [[3], [3]])
    lines = ["k%d\tterm %d" % (i % 7, i) for i in range(2000)]
    cluster.kcat(["-P", "-t", topic, "-K", "\t"], input=("\n".join(lines) + "\n").encode())

    broker.proc.send_signal(signal.SIGTERM)
    try:
        status = broker.proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        cluster.fail("broker 3 still running 20 s after SIGTERM")
    assert status == 0, "broker 3 exited %d after SIGTERM" % status
    broker.stop()  # closes its log file handle (the process is gone)
    # Gone within half a session timeout: closed, not expired.
    cluster.wait(lambda: 3 not in cluster.registered_ids(), cluster.session_timeout_ms / 2000,
                 "/brokers/ids/3 to vanish with the closed session")
    cluster.wait(lambda: all(cluster.partition_state(topic, p)["leader"] == -1 for p in range(2)), 20,
                 "%s's partitions to go offline" % topic)

    broker.start()
    cluster.wait_registered([3])
    cluster.wait_leaders(topic, 2, among=[3])
    cluster.wait_listening([broker])
    cluster.wait_metadata_leaders(topic, 2)
    out = cluster.kcat(["-C", "-t", topic, "-o", "beginning", "-e", "-J", "-q"]).stdout
    assert sorted("%s\t%s" % (m["key"], m["payload"]) for m in map(json.loads, out.splitlines())) == sorted(lines)
