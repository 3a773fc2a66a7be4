"""kafka-python 3.0.12: KafkaProducer with acks=1, acks=0, and its defaults (idempotent, acks=all,
here with gzip) into a three-partition topic (acknowledged offsets 0..n-1 per partition);
KafkaConsumer with assign() (no group) reads everything back with keys, values, headers and
CreateTime timestamps at consecutive offsets; seek_to_beginning rewinds; beginning_offsets /
end_offsets answer as Kafka does. ListOffsets by timestamp (kafka-python's offsets_for_times,
kcat -Q) finds the exact record, also inside compressed batches, as Kafka's
FileRecords.searchForTimestamp does."""

import re
import time

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from kafkacluster import unique

MESSAGES = 3000
PARTITIONS = 3

CASES = {
    "acks=1": dict(acks=1),
    "acks=0": dict(acks=0),
    "idempotent-acks=all-gzip": dict(compression_type="gzip"),  # kafka-python 3.x defaults otherwise
}


def _expected(base_ts):
    """{partition: [(key, value, headers, timestamp)]} in send order; message i goes to i % 3."""
    out = {p: [] for p in range(PARTITIONS)}
    for i in range(MESSAGES):
        out[i % PARTITIONS].append((b"k%d" % (i % 101), b"v%d-" % i + b"." * (i % 13),
                                    [("seq", b"%d" % i), ("kind", b"kafka-python")], base_ts + i))
    return out


def _consume(kafka, consumer, count, timeout=60.0):
    """Polls until `count` records arrived (fails at the deadline with what was read)."""
    records = []
    deadline = time.monotonic() + timeout
    while len(records) < count:
        if time.monotonic() > deadline:
            kafka.fail("consumed %d of %d records within %.0fs" % (len(records), count, timeout))
        for batch in consumer.poll(timeout_ms=500).values():
            records.extend(batch)
    return records


@pytest.mark.parametrize("case", list(CASES))
def test_producer_and_assigned_consumer_round_trip(kafka, case):
    topic = unique("kp")
    kafka.create_topic(topic, [[1], [2], [3]])
    base_ts = int(time.time() * 1000) - 600_000
    expected = _expected(base_ts)

    producer = KafkaProducer(bootstrap_servers=kafka.bootstrap, linger_ms=5, request_timeout_ms=15000,
                             max_block_ms=30000, **CASES[case])
    try:
        futures = {p: [] for p in range(PARTITIONS)}
        for i in range(MESSAGES):
            p = i % PARTITIONS
            key, value, headers, ts = expected[p][i // PARTITIONS]
            futures[p].append(producer.send(topic, key=key, value=value, headers=headers, partition=p,
                                            timestamp_ms=ts))
        producer.flush(timeout=60)
        metadata = {p: [f.get(timeout=30) for f in fs] for p, fs in futures.items()}
    finally:
        producer.close(timeout=10)
    for p, ms in metadata.items():
        assert all(m.topic == topic and m.partition == p for m in ms)
        if CASES[case].get("acks") != 0:  # acks=0: no response; kafka-python reports batch-relative offsets
            assert [m.offset for m in ms] == list(range(len(ms))), "partition %d: acknowledged offsets" % p

    consumer, tps = kafka.assigned_consumer(topic, PARTITIONS)
    try:
        records = _consume(kafka, consumer, MESSAGES)
        assert len(records) == MESSAGES
        for p in range(PARTITIONS):
            got = [r for r in records if r.partition == p]
            assert [r.offset for r in got] == list(range(len(expected[p]))), "partition %d offsets" % p
            assert [(r.key, r.value, list(r.headers), r.timestamp) for r in got] == expected[p], \
                "partition %d: keys/values/headers/timestamps differ" % p
            assert {r.timestamp_type for r in got} == {0}, "CreateTime expected"

        assert consumer.beginning_offsets(tps) == {tp: 0 for tp in tps}
        assert consumer.end_offsets(tps) == {tp: len(expected[tp.partition]) for tp in tps}

        # The consumer is at the end; seek_to_beginning on one partition reads it again from 0.
        assert consumer.poll(timeout_ms=300) == {}
        consumer.seek_to_beginning(tps[1])
        again = _consume(kafka, consumer, len(expected[1]))
        assert [(r.partition, r.offset) for r in again] == [(1, o) for o in range(len(expected[1]))]
    finally:
        consumer.close()


# gzip: the timestamp falls inside a compressed batch, which the broker reads through as Kafka does.
@pytest.mark.parametrize("compression", [None, "gzip"])
def test_offsets_for_times_finds_the_exact_record(kafka, compression):
    topic = unique("ts")
    kafka.create_topic(topic, [[1]])
    tp = TopicPartition(topic, 0)
    base_ts = int(time.time() * 1000) - 600_000
    stamps = [base_ts + 2 * i for i in range(1000)]  # gaps of 2 ms: base + odd falls between records
    producer = KafkaProducer(bootstrap_servers=kafka.bootstrap, acks=1, linger_ms=20, compression_type=compression)
    try:
        for i, ts in enumerate(stamps):
            producer.send(topic, value=b"t%d" % i, partition=0, timestamp_ms=ts)
        producer.flush(timeout=60)
    finally:
        producer.close(timeout=10)

    consumer = KafkaConsumer(bootstrap_servers=kafka.bootstrap, group_id=None, request_timeout_ms=15000)
    try:
        assert consumer.end_offsets([tp]) == {tp: len(stamps)}
        targets = {0: 0, stamps[0]: 0, stamps[1]: 1, stamps[500]: 500, stamps[500] + 1: 501,
                   stamps[777] - 1: 777, stamps[-1]: len(stamps) - 1}
        got = {t: consumer.offsets_for_times({tp: t})[tp] for t in targets}
        assert {t: (o.offset, o.timestamp) for t, o in got.items()} == \
            {t: (o, stamps[o]) for t, o in targets.items()}, "offsets_for_times (target: (offset, timestamp))"
        assert consumer.offsets_for_times({tp: stamps[-1] + 1})[tp] is None
    finally:
        consumer.close()

    # librdkafka's offsets-for-times (ListOffsets v1) through kcat -Q.
    out = kafka.kcat(["-Q", "-t", "%s:0:%d" % (topic, stamps[500] + 1)]).stdout.decode()
    assert re.search(r"\[0\] offset 501\b", out), out
