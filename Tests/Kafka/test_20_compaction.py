"""Log compaction (`cleanup.policy=compact`), as Kafka's LogCleaner does it: a topic with small
segments and `min.cleanable.dirty.ratio=0.01` gets several values per key and tombstones from
kafka-python; the broker's cleaner (`log.cleaner.backoff.ms=200`) leaves only the latest value of
each key in a full read from offset 0, and the tombstones go once `delete.retention.ms` has passed
after they were first cleaned. A restart keeps all of it (the cleaner checkpoint is on disk).
Produce of a record without a key to a compacted topic is refused with INVALID_RECORD, and a
CreateTopics with a config name Kafka does not have with INVALID_CONFIG.

A second test has a follower that was down while its leader compacted: it fetches the leader's
compacted log from offset 0 (batches with gaps between them), joins the ISR, and once the leader
is gone serves the same records."""

import os

import pytest
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import InvalidConfigurationError, InvalidRecordError

from kafkacluster import unique

KEYS = [b"k%d" % i for i in range(10)]
DELETED = KEYS[:3]     # tombstoned after the last round
KEPT = KEYS[3:]
ROUNDS = 5
TOPIC_CONFIGS = {
    "cleanup.policy": "compact",
    "segment.bytes": "1024",
    "min.cleanable.dirty.ratio": "0.01",
    "delete.retention.ms": "2000",
}
BROKER_CONFIG = ["log.cleaner.backoff.ms=200", "log.cleaner.dedupe.buffer.size=4194304"]


def _create(c, topic, assignment, configs=TOPIC_CONFIGS):
    admin = KafkaAdminClient(bootstrap_servers=c.bootstrap, request_timeout_ms=10000)
    try:
        admin.create_topics([NewTopic(topic, replica_assignments={0: assignment}, topic_configs=configs)])
    finally:
        admin.close()
    c.wait_leaders(topic, 1)
    c.wait_metadata_leaders(topic, 1)


def _produce_rounds(c, topic):
    """ROUNDS values of every key, then tombstones for DELETED; returns the latest value of each kept key."""
    producer = KafkaProducer(bootstrap_servers=c.bootstrap, linger_ms=0, request_timeout_ms=10000)
    try:
        for r in range(ROUNDS):
            for key in KEYS:
                producer.send(topic, key=key, value=b"v%d-" % r + key + b"-" + b"x" * 40)
            producer.flush(timeout=30)
        for key in DELETED:
            producer.send(topic, key=key, value=None)
        producer.flush(timeout=30)
    finally:
        producer.close(timeout=10)
    return {key: b"v%d-" % (ROUNDS - 1) + key + b"-" + b"x" * 40 for key in KEPT}


class _Filler:
    """Produces one record of key `filler` per call: it rolls segments, so what came before becomes
    cleanable and the log stays dirty enough for further cleanings."""

    def __init__(self, c, topic):
        self.topic = topic
        self.n = 0
        self.producer = KafkaProducer(bootstrap_servers=c.bootstrap, linger_ms=0, request_timeout_ms=10000)

    def __call__(self):
        self.n += 1
        self.producer.send(self.topic, key=b"filler", value=b"%06d" % self.n + b"-" * 100).get(timeout=10)

    def close(self):
        self.producer.close(timeout=10)


def _state(c, topic):
    """{key: [values in offset order]} of a full read from offset 0, and the number of records read."""
    got, _ = c.read_to_end(topic, 1)
    values = {}
    for (_, offset) in sorted(got):
        key, value = got[(0, offset)]
        values.setdefault(key, []).append(value)
    return values, len(got)


def _compacted(values, latest):
    """Only the latest value of every kept key, and no record of a deleted key."""
    return all(values.get(key) == [value] for key, value in latest.items()) and \
        not any(key in values for key in DELETED)


@pytest.mark.timeout(240)
def test_compaction_keeps_the_latest_value_per_key_and_drops_tombstones(cluster_factory):
    c = cluster_factory("compaction", brokers=1, extra_config=BROKER_CONFIG, admin_ports=True)
    c.wait_listening()
    broker = c.broker(1)

    # A config name Kafka does not have: INVALID_CONFIG, nothing created.
    admin = KafkaAdminClient(bootstrap_servers=c.bootstrap, request_timeout_ms=10000)
    try:
        with pytest.raises(InvalidConfigurationError):
            admin.create_topics([NewTopic(unique("bogus"), num_partitions=1, replication_factor=1,
                                          topic_configs={"x.custom": "y"})])
    finally:
        admin.close()

    topic = unique("compacted")
    _create(c, topic, [1])
    latest = _produce_rounds(c, topic)

    # A record without a key: refused (Kafka's LogValidator), nothing appended.
    keyless = KafkaProducer(bootstrap_servers=c.bootstrap, acks=1, enable_idempotence=False, retries=0)
    try:
        with pytest.raises(InvalidRecordError):
            keyless.send(topic, value=b"no key").get(timeout=10)
    finally:
        keyless.close(timeout=10)


    filler = _Filler(c, topic)
    seen_tombstones_after_cleaning = []
    try:
        def compacted():
            filler()
            values, count = _state(c, topic)
            if all(len(values.get(key, [])) == 1 for key in KEPT) and \
                    all(values.get(key) == [None] for key in DELETED):
                seen_tombstones_after_cleaning.append(count)
            return _compacted(values, latest) and values
        values = c.wait(compacted, 120, "only the latest value per key and no tombstones in a full read",
                        interval=0.3)
    finally:
        filler.close()
    print("tombstones seen alone after cleaning in %d reads" % len(seen_tombstones_after_cleaning))

    log = broker.logs_tail(2000)
    assert "log cleaned" in log, log[-3000:]
    m = broker.metrics()
    names = {name for name, _ in m}
    for name in ("kafka_log_logcleaner_max_clean_time_secs", "kafka_log_logcleaner_cleaner_recopy_percent",
                 "kafka_log_logcleanermanager_max_dirty_percent"):
        assert name in names, sorted(names)
    assert 0 < m[("kafka_log_logcleaner_cleaner_recopy_percent", ())] <= 100
    checkpoint = os.path.join(broker.log_dirs, "cleaner-offset-checkpoint")

    # A restart keeps the compacted log, and the cleaner checkpoint says where cleaning got to.
    broker.stop()
    with open(checkpoint) as f:
        lines = f.read().splitlines()
    entries = {tuple(line.split()[:2]): int(line.split()[2]) for line in lines[2:]}
    assert entries.get((topic, "0"), 0) > 0, lines
    broker.start()
    c.wait_registered([1])
    c.wait_leaders(topic, 1, among=[1])
    c.wait_listening([broker])
    c.wait_metadata_leaders(topic, 1)
    after, _ = _state(c, topic)
    assert _compacted(after, latest), after
    assert {k: v for k, v in after.items() if k != b"filler"} == {k: v for k, v in values.items() if k != b"filler"}


@pytest.mark.timeout(240)
def test_a_follower_catches_up_from_a_compacted_leader(cluster_factory):
    c = cluster_factory("compaction-follower", brokers=2, extra_config=BROKER_CONFIG)
    c.wait_listening()
    topic = unique("compacted-rf2")
    _create(c, topic, [1, 2])
    # Broker 2 stops (controlled shutdown: the ISR shrinks to [1]) before anything is produced.
    follower = c.broker(2)
    follower.stop()
    c.wait(lambda: c.partition_state(topic, 0)["isr"] == [1], 30, "ISR [1] without broker 2")
    latest = _produce_rounds(c, topic)

    filler = _Filler(c, topic)
    try:
        c.wait(lambda: filler() or _compacted(_state(c, topic)[0], latest), 120,
               "the leader's log compacted", interval=0.3)
        # Broker 2 comes back and fetches the compacted log from offset 0: gaps between batches.
        follower.start()
        c.wait_registered([2])
        c.wait(lambda: sorted(c.partition_state(topic, 0)["isr"]) == [1, 2], 60, "broker 2 back in the ISR")
        filler()
    finally:
        filler.close()
    leader = c.broker(1)
    leader.stop()
    c.wait_leaders(topic, 1, among=[2])
    c.wait_listening([follower])
    c.wait_metadata_leaders(topic, 1, brokers=[follower])
    values, _ = c.wait(lambda: _state(c, topic), 30, "a read from broker 2")
    assert _compacted(values, latest), values
