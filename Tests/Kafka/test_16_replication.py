"""Partition replication as a Kafka user sees it: followers fetch from the leader, the ISR in the
partition state znodes (and in Metadata) lists the replicas that really hold the data, the high
watermark bounds what consumers read, and acks=all is answered only once the ISR has the records.

* A leader SIGKILLed under acks=all load: the controller elects a follower from the ISR, the
  producer's retries land there, every acknowledged record is served at its acknowledged offset and
  no offset was acknowledged twice; the old leader comes back, truncates what it alone had, rejoins
  the ISR, and once the other two are SIGKILLed it alone serves exactly the log the cluster
  acknowledged (its ISR membership was true).
* A SIGSTOPped follower leaves the ISR after `replica.lag.time.max.ms` (3 s here, while its
  ZooKeeper session, 20 s here, is still alive); acks=all then fails with NOT_ENOUGH_REPLICAS
  (min.insync.replicas=3) while acks=1 is still taken; SIGCONT: it catches up, rejoins, and acks=all
  works again.
* A follower whose log dir was wiped rebuilds every replica from the leaders (also the records
  written while it was down, with `replica.fetch.max.bytes` small enough to take many fetches),
  rejoins the ISR, and holds on disk exactly the records the leaders have.
* A frozen follower still in the ISR holds the high watermark: acks=1 records appended to the
  leader are not visible to consumers (end offset and fetch stop at the watermark) until it
  fetches them.
"""

import os
import shutil
import signal
from collections import Counter

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic

from kafkacluster import record_batches, unique
from rawkafka import RawKafka, record_batch
from zkprocess import HOST

ALL = [1, 2, 3]


# ----------------------------------------------------------------------------- helpers
def _create(c, topic, partitions=None, assignment=None, min_insync=None):
    """CreateTopics through kafka-python: `partitions` with replication factor 3 (the controller
    assigns), or an explicit `assignment` ([[1, 2, 3]]: partition 0 on 1, 2, 3, led by 1)."""
    configs = {"min.insync.replicas": str(min_insync)} if min_insync else None
    if assignment is not None:
        new = NewTopic(topic, replica_assignments={p: r for p, r in enumerate(assignment)}, topic_configs=configs)
        partitions = len(assignment)
    else:
        new = NewTopic(topic, num_partitions=partitions, replication_factor=3, topic_configs=configs)
    admin = KafkaAdminClient(bootstrap_servers=c.bootstrap, request_timeout_ms=10000)
    try:
        admin.create_topics([new])
    finally:
        admin.close()
    c.wait_leaders(topic, partitions)
    c.wait_metadata_leaders(topic, partitions)
    return partitions


def _isr(c, topic, partition):
    return sorted(c.partition_state(topic, partition)["isr"])


def _wait_isr(c, topic, partitions, expected, timeout, what):
    """Polls the state znodes until every partition's ISR is `expected` (as a set); returns the states."""
    expected = sorted(expected)

    def ready():
        states = {p: c.partition_state(topic, p) for p in range(partitions)}
        return states if all(sorted(s["isr"]) == expected for s in states.values()) else None
    return c.wait(ready, timeout, "ISR %s of every partition of %s (%s)" % (expected, topic, what))


class Sender:
    """A kafka-python producer recording every acknowledgement as (partition, offset, value) and
    every failed send."""

    def __init__(self, bootstrap, acks, retries, **kw):
        options = dict(bootstrap_servers=bootstrap, acks=acks, retries=retries, linger_ms=5,
                       enable_idempotence=False, request_timeout_ms=10000, delivery_timeout_ms=90000,
                       max_block_ms=20000, retry_backoff_ms=200, reconnect_backoff_max_ms=1000)
        options.update(kw)
        self.producer = KafkaProducer(**options)
        self.acks = []    # (partition, offset, value), in acknowledgement order
        self.errors = []  # exceptions of sends not acknowledged

    def send(self, topic, partition, value):
        self.producer.send(topic, value=value, partition=partition) \
            .add_callback(lambda m, v=value: self.acks.append((m.partition, m.offset, v))) \
            .add_errback(self.errors.append)

    def send_many(self, topic, partitions, prefix, count):
        values = [b"%s-%06d-" % (prefix, i) + b"x" * (i % 50) for i in range(count)]
        for i, v in enumerate(values):
            self.send(topic, i % partitions, v)
        return values

    def flush(self, timeout=60):
        self.producer.flush(timeout=timeout)

    def close(self):
        self.producer.close(timeout=10)


def _send(c, topic, partitions, prefix, count, acks="all", retries=0, bootstrap=None):
    """Sends `count` records round-robin and flushes; returns (sent values, acks, errors)."""
    s = Sender(bootstrap or c.bootstrap, acks, retries)
    try:
        values = s.send_many(topic, partitions, prefix, count)
        s.flush()
    finally:
        s.close()
    return values, s.acks, s.errors


def _read(c, topic, partitions, bootstrap, timeout=60.0):
    """Reads partitions 0..partitions-1 from the beginning to their end offsets (as answered now,
    i.e. the high watermark) through `bootstrap`; returns ({(p, offset): value}, {p: end})."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                             auto_offset_reset="none", fetch_max_wait_ms=100, request_timeout_ms=15000)
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    got = {}
    try:
        consumer.assign(tps)
        consumer.seek_to_beginning()
        ends = consumer.end_offsets(tps)
        c.wait(lambda: _poll_into(consumer, got) or all(consumer.position(tp) >= ends[tp] for tp in tps),
               timeout, "reading %s to end offsets %r through %s" % (topic, ends, bootstrap), interval=0)
    finally:
        consumer.close()
    return got, {tp.partition: end for tp, end in ends.items()}


def _end_offsets(bootstrap, topic, partitions):
    """{partition: end offset} as a consumer sees it (ListOffsets latest: the high watermark)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                             request_timeout_ms=10000)
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        return {tp.partition: end for tp, end in consumer.end_offsets(tps).items()}
    finally:
        consumer.close()


def _poll_into(consumer, got):
    for batch in consumer.poll(timeout_ms=300).values():
        for r in batch:
            got[(r.partition, r.offset)] = r.value
    return False


def _check_log(got, ends, acks, sent):
    """Offsets 0..end-1 consecutive in every partition, each acknowledged value at its
    acknowledged offset, no offset acknowledged twice, nothing that was never sent."""
    for p, end in ends.items():
        offsets = sorted(o for q, o in got if q == p)
        assert offsets == list(range(end)), "partition %d: offsets not consecutive 0..%d" % (p, end - 1)
    # Every send has its own value and is acknowledged once: one offset acknowledged twice was reused.
    twice = [k for k, n in Counter((p, o) for p, o, _ in acks).items() if n > 1]
    assert not twice, "offsets acknowledged twice (reused): %r" % twice[:5]
    missing = [(p, o, v) for p, o, v in acks if got.get((p, o)) != v]
    assert not missing, "%d of %d acknowledged records not served at their offset, e.g. %r" % (
        len(missing), len(acks), [(k, got.get(k[:2])) for k in missing[:3]])
    unknown = set(got.values()) - set(sent)
    assert not unknown, "records that were never sent: %r" % sorted(unknown)[:3]


def _disk_records(broker, topic, partition):
    """(record count, contiguous?) of the RecordBatches in `broker`'s segment files of topic-partition."""
    d = os.path.join(broker.log_dirs, "%s-%d" % (topic, partition))
    if not os.path.isdir(d):
        return 0, True
    batches = []
    for f in sorted((f for f in os.listdir(d) if f.endswith(".log")), key=lambda f: int(f.split(".")[0])):
        batches += record_batches(os.path.join(d, f))
    nxt, contiguous = 0, True
    for base, count, _ in batches:
        contiguous = contiguous and base == nxt
        nxt = base + count
    return sum(n for _, n, _ in batches), contiguous


NOT_ENOUGH_REPLICAS = 19


def _raw_send(broker, topic, prefix, count, acks, per_request=10):
    """Produces `count` records to partition 0 straight to `broker` (its leader), `per_request` per
    request, on one connection: while a follower is SIGSTOPped, a client library could pick that
    broker (it accepts connections but never answers) for its metadata requests. Returns
    (sent values, [(partition, offset, value)] acknowledged, [error codes] of refused requests)."""
    raw = RawKafka(HOST, broker.port, timeout=20.0)
    sent, acked, refused = [], [], []
    try:
        for start in range(0, count, per_request):
            values = [b"%s-%06d" % (prefix, i) for i in range(start, min(start + per_request, count))]
            [(_, _, error, base)] = raw.produce_v3(topic, 0, bytes(record_batch(values)), acks=acks)
            if error == 0:
                sent += values
                acked += [(0, base + i, v) for i, v in enumerate(values)]
            else:
                refused.append(error)
    finally:
        raw.close()
    return sent, acked, refused


def _not_controller(c, candidates):
    controller = c.controller()
    return next(b for b in candidates if b != controller)


# ------------------------------------------------------------------------------- tests
@pytest.mark.timeout(240)
def test_acks_all_survives_leader_sigkill(fresh_cluster):
    c = fresh_cluster
    c.wait_listening()
    topic = unique("failover")
    partitions = _create(c, topic, partitions=3, min_insync=2)

    # The ISR starts as (and, with followers fetching, stays) every live replica; Metadata agrees.
    _wait_isr(c, topic, partitions, ALL, 30, "followers caught up")
    for p in c.kcat_metadata(topic)["topics"][0]["partitions"]:
        assert sorted(r["id"] for r in p["replicas"]) == ALL, p
        assert sorted(i["id"] for i in p["isrs"]) == ALL, p

    sent, acks, errors = _send(c, topic, partitions, b"a", 3000)
    assert len(acks) == 3000 and not errors, "before the kill: %d acked, errors %r" % (len(acks), errors[:3])

    # SIGKILL a partition leader (not the controller: test_06 covers that) with acks=all in flight.
    states = {p: c.partition_state(topic, p) for p in range(partitions)}
    vp = next(p for p in range(partitions) if states[p]["leader"] != c.controller())
    victim = c.broker(states[vp]["leader"])
    survivors = [b for b in c.brokers if b is not victim]
    s = Sender(c.bootstrap, "all", retries=2 ** 31 - 1)
    try:
        sent += s.send_many(topic, partitions, b"b", 3000)
        c.wait(lambda: len(s.acks) >= 300, 30, "300 acknowledgements of the second batch")
        victim.kill()
        s.flush(timeout=150)
    finally:
        s.close()
    print("second batch: %d acknowledged before and after the kill, %d failed" % (len(s.acks), len(s.errors)))
    assert len(s.acks) == 3000 and not s.errors, \
        "acks=all with retries across the failover: %d acked, errors %r" % (len(s.acks), s.errors[:3])
    acks += s.acks

    # A survivor in the ISR leads; the dead broker left the ISR; the leader epoch moved on.
    after = c.wait(lambda: all(c.partition_state(topic, p)["leader"] not in (-1, victim.id) and
                               victim.id not in c.partition_state(topic, p)["isr"] for p in range(partitions)) and
                   {p: c.partition_state(topic, p) for p in range(partitions)},
                   50, "new leaders and ISRs without broker %d" % victim.id)
    assert after[vp]["leader_epoch"] > states[vp]["leader_epoch"], (states[vp], after[vp])
    assert all(sorted(st["isr"]) == sorted(b.id for b in survivors) for st in after.values()), after

    # Two in-sync replicas meet min.insync.replicas=2: acks=all without retries is taken at once.
    more, more_acks, errors = _send(c, topic, partitions, b"c", 600, bootstrap=c.bootstrap_of(survivors))
    assert len(more_acks) == 600 and not errors, errors[:3]
    sent += more
    acks += more_acks

    got, ends = _read(c, topic, partitions, c.bootstrap_of(survivors))
    _check_log(got, ends, acks, sent)

    # The old leader returns, truncates what only it had, catches up and rejoins every ISR.
    victim.start()
    c.wait_registered([victim.id])
    _wait_isr(c, topic, partitions, ALL, 60, "broker %d rejoined" % victim.id)

    # Its membership is true: with the other two SIGKILLed it leads alone and serves the same log.
    for b in survivors:
        b.kill()
    c.wait_leaders(topic, partitions, timeout=c.session_timeout_ms / 1000 + 40, among=[victim.id])
    c.wait_listening([victim])
    alone, alone_ends = _read(c, topic, partitions, victim.address)
    assert alone_ends == ends, "end offsets on broker %d alone %r, before %r" % (victim.id, alone_ends, ends)
    assert alone == got, "broker %d alone serves a different log: %d records differ" % (
        victim.id, len(set(alone.items()) ^ set(got.items())))


@pytest.mark.timeout(180)
def test_stopped_follower_leaves_isr_and_rejoins(cluster_factory):
    # A 20 s ZooKeeper session outlives the 3 s lag: the ISR shrinks because the follower stopped
    # fetching, not because its registration expired.
    c = cluster_factory("lag", session_timeout_ms=20000, extra_config=[
        "replica.lag.time.max.ms=3000", "replica.fetch.wait.max.ms=200", "replica.fetch.min.bytes=1",
        "replica.fetch.backoff.ms=500", "num.replica.fetchers=2"])
    c.wait_listening()
    topic = unique("lag")
    _create(c, topic, assignment=[[1, 2, 3]], min_insync=3)
    assert c.partition_state(topic, 0)["leader"] == 1
    _wait_isr(c, topic, 1, ALL, 30, "followers caught up")
    leader = c.broker(1)

    sent, acks, errors = _send(c, topic, 1, b"before", 200)
    assert len(acks) == 200 and not errors, errors[:3]

    victim = c.broker(_not_controller(c, [2, 3]))
    other = 5 - victim.id
    os.kill(victim.proc.pid, signal.SIGSTOP)
    try:
        _wait_isr(c, topic, 1, [1, other], 15, "broker %d stopped fetching" % victim.id)
        assert victim.id in c.registered_ids(), "broker %d's registration expired before the lag shrink" % victim.id

        # Two in-sync replicas are fewer than min.insync.replicas=3.
        _, refused_acks, refused = _raw_send(leader, topic, b"refused", 20, acks=-1, per_request=1)
        assert not refused_acks, refused_acks[:3]
        assert refused == [NOT_ENOUGH_REPLICAS] * 20, refused
        # acks=1 asks for no replica: the leader's append is the answer.
        more, more_acks, refused = _raw_send(leader, topic, b"acks1", 200, acks=1)
        assert len(more_acks) == 200 and not refused, refused[:3]
        sent += more
        acks += more_acks
    finally:
        os.kill(victim.proc.pid, signal.SIGCONT)

    # It fetches what it missed and is added back.
    _wait_isr(c, topic, 1, ALL, 60, "broker %d caught up again" % victim.id)
    c.wait_listening()
    more, more_acks, errors = _send(c, topic, 1, b"after", 200)
    assert len(more_acks) == 200 and not errors, errors[:3]
    sent += more
    acks += more_acks
    assert _isr(c, topic, 0) == ALL

    got, ends = _read(c, topic, 1, c.bootstrap)
    assert ends == {0: 600}, ends
    _check_log(got, ends, acks, sent)


@pytest.mark.timeout(180)
def test_wiped_broker_rebuilds_its_replicas(cluster_factory):
    c = cluster_factory("wipe", extra_config=["replica.fetch.max.bytes=65536"])
    c.wait_listening()
    topic = unique("rebuild")
    c.create_topic(topic, [[1, 2, 3], [2, 3, 1], [3, 1, 2]])
    partitions = 3
    _wait_isr(c, topic, partitions, ALL, 30, "followers caught up")

    sent, acks, errors = _send(c, topic, partitions, b"w" * 60, 6000)
    assert len(acks) == 6000 and not errors, errors[:3]

    wiped = c.broker(2)
    wiped.stop()
    _wait_isr(c, topic, partitions, [1, 3], 50, "broker 2 stopped")
    c.wait_leaders(topic, partitions, among=[1, 3])
    # Written while it is down: the rebuilt replica must have them too.
    more, more_acks, errors = _send(c, topic, partitions, b"down", 1500,
                                    bootstrap=c.bootstrap_of([c.broker(1), c.broker(3)]))
    assert len(more_acks) == 1500 and not errors, errors[:3]
    sent += more
    acks += more_acks

    shutil.rmtree(wiped.log_dirs)
    os.makedirs(wiped.log_dirs)
    wiped.start()
    c.wait_registered([2])
    _wait_isr(c, topic, partitions, ALL, 90, "broker 2 rebuilt from nothing")
    c.wait_listening()

    got, ends = _read(c, topic, partitions, c.bootstrap)
    assert sum(ends.values()) == 7500, ends
    _check_log(got, ends, acks, sent)
    # Its segment files hold every record the leaders have, from offset 0, without gaps.
    c.wait(lambda: all(_disk_records(wiped, topic, p) == (ends[p], True) for p in range(partitions)), 30,
           "broker 2's segment files to hold %r records" % ends)


@pytest.mark.timeout(150)
def test_consumers_never_read_past_high_watermark(cluster_factory):
    # Default replica.lag.time.max.ms (30 s) and a 20 s session: a frozen follower stays in the ISR
    # for the few seconds this takes.
    c = cluster_factory("hw", session_timeout_ms=20000)
    c.wait_listening()
    topic = unique("hw")
    _create(c, topic, assignment=[[1, 2, 3]], min_insync=2)
    _wait_isr(c, topic, 1, ALL, 30, "followers caught up")

    sent, acks, errors = _send(c, topic, 1, b"committed", 100)
    assert len(acks) == 100 and not errors, errors[:3]

    victim = c.broker(_not_controller(c, [2, 3]))
    os.kill(victim.proc.pid, signal.SIGSTOP)
    try:
        more, more_acks, refused = _raw_send(c.broker(1), topic, b"uncommitted", 50, acks=1)
        assert len(more_acks) == 50 and not refused, refused[:3]
        assert sorted(o for _, o, _ in more_acks) == list(range(100, 150)), more_acks[:3]
        sent += more
        acks += more_acks
        # The leader has 150 records, the frozen in-sync follower 100: the watermark is 100. A consumer
        # talking to the leader alone (see `_raw_send`) gets 100 as the latest offset, and fetches,
        # long-polled at 100 or not, never return a record at or past it.
        assert _isr(c, topic, 0) == ALL
        raw = RawKafka(HOST, c.broker(1).port, timeout=20.0)
        try:
            assert raw.list_offset_v1(topic, 0) == (0, 100)
            offsets, position = [], 0
            while position < 100:
                error, high_watermark, batches = raw.fetch_v4(topic, 0, position)
                assert error == 0 and high_watermark == 100, (error, high_watermark)
                assert batches, "no records at offset %d below the high watermark" % position
                for base, count in batches:
                    offsets += range(base, base + count)
                position = offsets[-1] + 1
            for _ in range(3):
                error, high_watermark, batches = raw.fetch_v4(topic, 0, 100, max_wait_ms=300)
                assert (error, high_watermark, batches) == (0, 100, []), (error, high_watermark, batches)
            assert offsets == list(range(100)), offsets[-3:]
        finally:
            raw.close()
        assert _isr(c, topic, 0) == ALL, "the follower left the ISR during the check"
    finally:
        os.kill(victim.proc.pid, signal.SIGCONT)

    # It fetches them; the watermark reaches the leader's end and they become readable.
    c.wait(lambda: _end_offsets(c.broker(1).address, topic, 1) == {0: 150}, 30, "the high watermark at 150")
    got, ends = _read(c, topic, 1, c.bootstrap)
    _check_log(got, ends, acks, sent)
