"""Requests that once killed a broker (issue 11), each followed by a check that every broker
still serves kcat."""

import pytest

import rawkafka
from kafkacluster import unique

INT64_MIN = -(1 << 63)
INT32_MAX = (1 << 31) - 1


@pytest.fixture
def serving(kafka):
    """Checks that a topic can still be produced to and read back through every broker."""
    def check():
        topic = unique("alive")
        kafka.kcat(["-P", "-t", topic, "-p", "0"], input=b"still here\n")
        out = kafka.kcat(["-C", "-t", topic, "-p", "0", "-o", "beginning", "-e", "-f", "%s\\n"])
        assert out.stdout.decode().strip() == "still here"
        for b in kafka.brokers:
            assert b.running, "%r died" % b
    yield check
    check()


def _raw(kafka):
    b = kafka.brokers[0]
    return rawkafka.RawKafka("127.0.0.1", b.port)


def test_create_topics_with_a_32700_byte_name(kafka, serving):
    """The error text quoting the name used to overflow a non-flexible string and trap."""
    c = _raw(kafka)
    try:
        results = c.create_topics_v1("t" * 32_700)
    finally:
        c.close()
    assert len(results) == 1
    name, error, message = results[0]
    assert error == rawkafka.INVALID_TOPIC_EXCEPTION
    assert name.startswith("ttt") and len(name.encode()) <= 32_767
    serving()


def _leader_connection(kafka, topic):
    kafka.topics("create", "--topic", topic, "--partitions", "1", "--replication-factor", "1")
    kafka.wait_metadata_leaders(topic, 1)
    leader = kafka.partition_state(topic, 0)["leader"]
    return rawkafka.RawKafka("127.0.0.1", kafka.broker(leader).port)


def test_produce_with_max_timestamp_int64_min_after_a_normal_batch(kafka, serving):
    """appendMaxTimestamp - firstBatchTimestamp used to overflow in the segment roll check."""
    topic = unique("ts-min")
    c = _leader_connection(kafka, topic)
    try:
        assert c.produce_v3(topic, 0, bytes(rawkafka.record_batch([b"first"])))[0][2] == 0
        hostile = rawkafka.patch_batch(rawkafka.record_batch([b"second"]), max_timestamp=INT64_MIN)
        (_, _, error, offset) = c.produce_v3(topic, 0, hostile)[0]
        assert error == 0 and offset == 1, "a timestamp is the producer's to choose"
        assert c.produce_v3(topic, 0, bytes(rawkafka.record_batch([b"third"])))[0][2:] == (0, 2)
    finally:
        c.close()
    out = kafka.kcat(["-C", "-t", topic, "-p", "0", "-o", "beginning", "-e", "-f", "%s\\n"])
    assert out.stdout.decode().split() == ["first", "second", "third"]
    serving()


def test_produce_of_a_batch_claiming_2_pow_31_records(kafka, serving):
    """A 70-byte batch claiming 2^31-1 records would take 2^31 offsets; refused as INVALID_RECORD."""
    topic = unique("count")
    c = _leader_connection(kafka, topic)
    try:
        hostile = rawkafka.patch_batch(
            rawkafka.record_batch([b"x"]), record_count=INT32_MAX, last_offset_delta=INT32_MAX - 1)
        assert c.produce_v3(topic, 0, hostile)[0][2] == rawkafka.INVALID_RECORD
        many = b"".join(rawkafka.patch_batch(rawkafka.record_batch([b"x"]), record_count=INT32_MAX,
                                             last_offset_delta=INT32_MAX - 1, attributes=1) for _ in range(3))
        assert c.produce_v3(topic, 0, many)[0][2] == rawkafka.INVALID_RECORD
        assert c.produce_v3(topic, 0, bytes(rawkafka.record_batch([b"ok"])))[0][2:] == (0, 0)
    finally:
        c.close()
    serving()
