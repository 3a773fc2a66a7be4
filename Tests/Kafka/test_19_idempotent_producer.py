"""The idempotent producer (KIP-98), batch by batch over raw Produce v3 requests to the leader, as a
producer whose answer was lost would retry: a batch sent again is answered with the offsets it was
first written at and is not written twice, also after the leader is SIGKILLed and a follower (which
took the producer's state from the replicated batches) leads, and after a restart (state rebuilt
from the log). Gaps answer OUT_OF_ORDER_SEQUENCE_NUMBER, an older epoch INVALID_PRODUCER_EPOCH, an
unknown producer not starting at 0 UNKNOWN_PRODUCER_ID. kafka-python's default (idempotent)
producer is used throughout the rest of the suite."""

import pytest

from kafkacluster import unique
from rawkafka import RawKafka, idempotent_batch
from zkprocess import HOST

OUT_OF_ORDER, INVALID_EPOCH, UNKNOWN_PRODUCER = 45, 47, 59
PID = 4242


def _produce(c, broker_id, topic, batch):
    """(error, base offset) of a Produce v3 acks=all of `batch` to partition 0 on broker `broker_id`."""
    raw = RawKafka(HOST, c.broker(broker_id).port, timeout=20.0)
    try:
        [(_, _, error, base)] = raw.produce_v3(topic, 0, batch, acks=-1)
        return error, base
    finally:
        raw.close()


def _end(c, broker_id, topic):
    raw = RawKafka(HOST, c.broker(broker_id).port, timeout=20.0)
    try:
        error, offset = raw.list_offset_v1(topic, 0)
        assert error == 0, error
        return offset
    finally:
        raw.close()


def _leader(c, topic):
    return c.partition_state(topic, 0)["leader"]


@pytest.mark.timeout(150)
def test_retried_batches_are_written_once_across_failover_and_restart(fresh_cluster):
    c = fresh_cluster
    c.wait_listening()
    topic = unique("idem")
    c.create_topic(topic, [[1, 2, 3]])
    c.wait_leaders(topic, 1)
    c.wait(lambda: sorted(c.partition_state(topic, 0)["isr"]) == [1, 2, 3], 30, "full ISR")
    c.wait_metadata_leaders(topic, 1)

    first = idempotent_batch([b"a0", b"a1", b"a2"], PID, 0, 0)
    assert _produce(c, 1, topic, first) == (0, 0)
    assert _produce(c, 1, topic, idempotent_batch([b"a3"], PID, 0, 3)) == (0, 3)
    # Sent again (answer lost): the original offsets, nothing written.
    assert _produce(c, 1, topic, first) == (0, 0)
    assert _end(c, 1, topic) == 4
    # A gap; an older epoch after a newer one; an unknown producer not starting at 0.
    assert _produce(c, 1, topic, idempotent_batch([b"x"], PID, 0, 9))[0] == OUT_OF_ORDER
    assert _produce(c, 1, topic, idempotent_batch([b"b0"], PID, 1, 0)) == (0, 4)
    assert _produce(c, 1, topic, idempotent_batch([b"x"], PID, 0, 4))[0] == INVALID_EPOCH
    assert _produce(c, 1, topic, idempotent_batch([b"x"], PID + 1, 0, 7))[0] == UNKNOWN_PRODUCER
    assert _end(c, 1, topic) == 5

    # The leader dies; a follower leads with the producer's state from the replicated batches.
    c.broker(1).kill()
    c.wait(lambda: _leader(c, topic) in (2, 3), c.session_timeout_ms / 1000 + 30, "a follower leads")
    leader = _leader(c, topic)
    c.wait_listening([c.broker(leader)])
    retried = idempotent_batch([b"b0"], PID, 1, 0)
    c.wait(lambda: _produce(c, leader, topic, retried) == (0, 4), 30,
           "the retried batch answered with its first offset by broker %d" % leader)
    assert _produce(c, leader, topic, idempotent_batch([b"b1", b"b2"], PID, 1, 1)) == (0, 5)
    assert _end(c, leader, topic) == 7

    # The new leader restarts (its producer state is rebuilt from its log) and leads again.
    others = [b for b in (2, 3) if b != leader]
    c.broker(leader).stop()
    c.broker(leader).start()
    c.wait_registered([leader], timeout=60)
    c.wait(lambda: _leader(c, topic) != -1, 60, "a leader")
    now = _leader(c, topic)
    c.wait_listening([c.broker(now)])
    c.wait(lambda: _produce(c, now, topic, idempotent_batch([b"b1", b"b2"], PID, 1, 1)) == (0, 5), 30,
           "a retried batch answered with its first offsets after the restart (broker %d, others %r)" % (now, others))
    assert _end(c, now, topic) == 7
