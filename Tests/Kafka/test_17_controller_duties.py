"""The controller's duties beyond failover, with real clients:

* A rolling SIGTERM restart of all three brokers under an acks=all load: each broker asks the
  controller to move its leaderships first (controlled shutdown, one log line), so no partition is
  ever without a leader (the state znodes are sampled all along), nothing acknowledged is lost, and
  each broker rejoins every ISR. `paddock topics elect-leaders` then puts every partition back on its
  preferred replica.
* ElectLeaders (kafka-python `elect_leaders`) does the same through the Kafka API, answering
  ELECTION_NOT_NEEDED where the preferred replica already leads; with `auto.leader.rebalance.enable`
  the controller restores preferred leaders by itself at `leader.imbalance.check.interval.seconds`.
* CreatePartitions (kafka-python `create_partitions`) grows a topic, with the broker's placement or
  the client's, and the new partitions get leaders and take records.
"""

import threading
from collections import Counter

import pytest
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewPartitions, NewTopic

from kafkacluster import unique

ASSIGNMENT = [[1, 2, 3], [2, 3, 1], [3, 1, 2]]


def _states(c, topic, partitions):
    return {p: c.partition_state(topic, p) for p in range(partitions)}


def _preferred_leads(c, topic, assignment):
    return all(c.partition_state(topic, p)["leader"] == r[0] for p, r in enumerate(assignment))


class Load:
    """A kafka-python acks=all producer sending unique values round-robin from a thread until stopped."""

    def __init__(self, c, topic, partitions):
        self.producer = KafkaProducer(bootstrap_servers=c.bootstrap, acks="all", retries=2 ** 31 - 1, linger_ms=5,
                                      enable_idempotence=False, request_timeout_ms=10000,
                                      delivery_timeout_ms=120000, retry_backoff_ms=100, max_block_ms=60000)
        self.topic, self.partitions = topic, partitions
        self.acks, self.errors, self.sent = [], [], 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        i = 0
        while not self.stopping.is_set():
            value = b"r%07d" % i
            self.producer.send(self.topic, value=value, partition=i % self.partitions) \
                .add_callback(lambda m, v=value: self.acks.append((m.partition, m.offset, v))) \
                .add_errback(self.errors.append)
            i += 1
            self.sent = i
            if i % 50 == 0:
                self.stopping.wait(0.01)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join(timeout=30)
        self.producer.flush(timeout=120)
        self.producer.close(timeout=10)


class StateSampler:
    """Samples every partition state znode from a thread; remembers any moment a partition had no leader."""

    def __init__(self, c, topic, partitions):
        self.c, self.topic, self.partitions = c, topic, partitions
        self.leaderless = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stopping.is_set():
            for p in range(self.partitions):
                s = self.c.partition_state(self.topic, p)
                if s["leader"] == -1:
                    self.leaderless.append((p, s))
            self.stopping.wait(0.05)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join(timeout=10)


@pytest.mark.timeout(240)
def test_rolling_restart_under_load_loses_nothing_and_elect_leaders_restores_them(cluster_factory):
    c = cluster_factory("rolling", extra_config=["auto.leader.rebalance.enable=false"])
    c.wait_listening()
    topic = unique("rolling")
    c.topics("create", "--topic", topic, "--replica-assignment", ",".join(":".join(map(str, r)) for r in ASSIGNMENT),
             "--config", "min.insync.replicas=2")
    c.wait_leaders(topic, 3)
    c.wait(lambda: all(sorted(s["isr"]) == [1, 2, 3] for s in _states(c, topic, 3).values()), 30, "full ISRs")

    with StateSampler(c, topic, 3) as sampler, Load(c, topic, 3) as load:
        c.wait(lambda: len(load.acks) >= 500, 30, "500 acknowledgements before the restarts")
        for b in c.brokers:
            before = len(load.acks)
            b.stop(timeout=40)
            assert b.proc.returncode == 0, "broker %d exited with %s" % (b.id, b.proc.returncode)
            assert "controlled shutdown complete" in b.logs_tail(400), b.logs_tail(60)
            b.start()
            c.wait_registered([b.id], timeout=60)
            c.wait(lambda: all(sorted(s["isr"]) == [1, 2, 3] for s in _states(c, topic, 3).values()), 60,
                   "broker %d back in every ISR" % b.id)
            c.wait(lambda: len(load.acks) >= before + 300, 60, "the load going on after broker %d's restart" % b.id)
    assert not sampler.leaderless, "partitions without a leader during the rolling restart: %r" % sampler.leaderless[:3]
    assert not load.errors, load.errors[:3]
    assert len(load.acks) == load.sent, (len(load.acks), load.sent)
    twice = [k for k, n in Counter((p, o) for p, o, _ in load.acks).items() if n > 1]
    assert not twice, twice[:3]

    c.wait_listening()
    got, _ = c.read_to_end(topic, 3)
    missing = [(p, o, v) for p, o, v in load.acks if (p, o) not in got or got[(p, o)][1] != v]
    assert not missing, "%d of %d acknowledged records lost, e.g. %r" % (len(missing), len(load.acks), missing[:3])

    # The last broker restarted leads nothing now; the preferred replicas take their partitions back.
    status, out = c.topics("elect-leaders", "--topic", topic)
    assert status == 0 and "Successfully completed leader election (PREFERRED)" in out, out
    assert _preferred_leads(c, topic, ASSIGNMENT), _states(c, topic, 3)


@pytest.mark.timeout(180)
def test_elect_leaders_api_auto_rebalance_and_create_partitions(cluster_factory):
    c = cluster_factory("elect", extra_config=["leader.imbalance.check.interval.seconds=3",
                                               "leader.imbalance.per.broker.percentage=0"])
    c.wait_listening()
    admin = KafkaAdminClient(bootstrap_servers=c.bootstrap, request_timeout_ms=20000)
    try:
        topic = unique("elect")
        admin.create_topics([NewTopic(topic, replica_assignments={p: r for p, r in enumerate(ASSIGNMENT)},
                                      topic_configs={"min.insync.replicas": "2"})])
        c.wait_leaders(topic, 3)
        c.wait(lambda: all(sorted(s["isr"]) == [1, 2, 3] for s in _states(c, topic, 3).values()), 30, "full ISRs")

        # Broker 1 stops and comes back: partition 0 is led elsewhere until a preferred election.
        c.broker(1).stop(timeout=40)
        c.wait(lambda: c.partition_state(topic, 0)["leader"] in (2, 3), 30, "partition 0 moved off broker 1")
        c.broker(1).start()
        c.wait(lambda: sorted(c.partition_state(topic, 0)["isr"]) == [1, 2, 3], 60, "broker 1 back in sync")

        # The auto rebalance (every 3 s, any imbalance) gives it back without being asked.
        c.wait(lambda: _preferred_leads(c, topic, ASSIGNMENT), 30, "preferred leaders restored by the controller")

        # ElectLeaders with nothing to do: ELECTION_NOT_NEEDED per partition, which kafka-python ignores.
        # (Once every broker's metadata has the preferred leaders, and with a client that knows broker 1
        # again.)
        c.wait_listening()

        def everyone_sees_preferred():
            for b in c.brokers:
                parts = c.kcat_metadata(topic, bootstrap=b.address)["topics"][0]["partitions"]
                if sorted((p["partition"], p["leader"]) for p in parts) != [(p, r[0]) for p, r in enumerate(ASSIGNMENT)]:
                    return False
            return True
        c.wait(everyone_sees_preferred, 30, "every broker's metadata with the preferred leaders")
        admin.close()
        admin = KafkaAdminClient(bootstrap_servers=c.bootstrap, request_timeout_ms=20000)
        response = admin.elect_leaders(0, {topic: [0, 1, 2]}, timeout_ms=10000, raise_errors=False)
        codes = sorted(pr.error_code for r in response.replica_election_results for pr in r.partition_result)
        assert codes == [84, 84, 84], response

        # CreatePartitions: 3 → 5 with the broker's placement, then 5 → 6 on brokers [2, 1, 3].
        admin.create_partitions({topic: NewPartitions(total_count=5)})
        c.wait_leaders(topic, 5)
        admin.create_partitions({topic: NewPartitions(total_count=6, new_assignments=[[2, 1, 3]])})
        states = c.wait_leaders(topic, 6)
        assert states[5]["leader"] == 2, states[5]
        assigned = c.get_json("/brokers/topics/%s" % topic)["partitions"]
        assert assigned["5"] == [2, 1, 3] and len(assigned["3"]) == 3 and len(assigned["4"]) == 3, assigned
        c.wait_metadata_leaders(topic, 6)
        producer = KafkaProducer(bootstrap_servers=c.bootstrap, acks="all", retries=5)
        try:
            offsets = [producer.send(topic, value=b"p%d" % p, partition=p).get(timeout=30).offset for p in (3, 4, 5)]
        finally:
            producer.close(timeout=10)
        assert offsets == [0, 0, 0], offsets
    finally:
        admin.close()
