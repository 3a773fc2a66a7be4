"""Consumer groups as applications use them (issue 10): subscribe, commit, rebalance when members come
and go, resume after restarts, with kcat -G (librdkafka 2.0.2), confluent-kafka (librdkafka 2.16) and
kafka-python's group consumer. Members that must be killed run as their own processes
(group_member.py); every wait polls with a deadline."""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from confluent_kafka import Consumer, TopicPartition as CTopicPartition
from kafka import KafkaConsumer, KafkaProducer

import kafkacluster
from kafkacluster import unique

HERE = os.path.dirname(os.path.abspath(__file__))
OFFSETS_TOPIC = "__consumer_offsets"


def produce(c, topic, values, partition=None):
    """Sends `values` (str) with kafka-python's default idempotent, acks=all producer; every send is
    acknowledged before this returns."""
    producer = KafkaProducer(bootstrap_servers=c.bootstrap, request_timeout_ms=15000)
    try:
        futures = [producer.send(topic, v.encode(), partition=partition) for v in values]
        producer.flush(timeout=60)
        for f in futures:
            f.get(timeout=30)
    finally:
        producer.close(timeout=10)


def make_topic(c, partitions, replicas=(1, 2, 3)):
    topic = unique("grp")
    c.create_topic(topic, [[replicas[(p + i) % len(replicas)] for i in range(len(replicas))]
                           for p in range(partitions)])
    return topic


class Member:
    """A group_member.py process and what it printed."""

    def __init__(self, c, group, topic, config=None):
        args = [sys.executable, os.path.join(HERE, "group_member.py"), c.bootstrap, group, topic,
                json.dumps(config or {})]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.lines = []
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            with self.lock:
                self.lines.append(line.rstrip("\n"))

    def events(self):
        with self.lock:
            return list(self.lines)

    def owned(self):
        """The partitions it owns now: ASSIGN adds, REVOKE removes (eager and cooperative alike)."""
        owned = set()
        for line in self.events():
            kind, _, rest = line.partition(" ")
            if kind == "ASSIGN":
                owned |= set(json.loads(rest))
            elif kind == "REVOKE":
                owned -= set(json.loads(rest))
        return owned

    def messages(self):
        """[(partition, offset, value)] in the order read."""
        out = []
        for line in self.events():
            if line.startswith("MSG "):
                _, p, o, v = line.split(" ", 3)
                out.append((int(p), int(o), v))
        return out

    def count(self, kind):
        return sum(1 for line in self.events() if line.startswith(kind + " "))

    def stop(self, timeout=30):
        """Closes the consumer (it leaves the group) by closing its standard input."""
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


def stop_all(members):
    for m in members:
        if m.proc.poll() is None:
            m.proc.kill()
            m.proc.wait()


def wait_partitioned(c, members, partitions, timeout=60):
    """Every partition is owned by exactly one of `members`, and each member owns at least one."""
    def ready():
        owned = [m.owned() for m in members]
        flat = [p for o in owned for p in o]
        return owned if sorted(flat) == list(range(partitions)) and all(owned) else None
    return c.wait(ready, timeout, "partitions %s each owned once by %d members; events: %s" % (
        list(range(partitions)), len(members), [m.events()[-12:] for m in members]))


def read_values(members):
    return [v for m in members for (_, _, v) in m.messages()]


def coordinator_of(c, group):
    """The broker id FindCoordinator names for `group` (confluent-kafka's admin does the lookup)."""
    from confluent_kafka.admin import AdminClient
    admin = AdminClient({"bootstrap.servers": c.bootstrap})

    def found():
        futures = admin.describe_consumer_groups([group], request_timeout=10)
        try:
            return futures[group].result().coordinator.id
        except Exception:
            return None
    return c.wait(found, 60, "a coordinator for %s" % group, interval=0.5)


# ----------------------------------------------------------------------------------------------------


def test_kcat_balanced_consumer_commits_and_resumes(kafka):
    """kcat -G (librdkafka 2.0.2's balanced consumer, JoinGroup v0-5) reads every message, commits on
    exit, and a second run of the same group reads only what came after."""
    c = kafka
    topic = make_topic(c, 3)
    group = unique("kcat-g")
    produce(c, topic, ["m%d" % i for i in range(60)])

    def run():
        r = c.kcat(["-G", group, "-X", "auto.offset.reset=earliest", "-e", "-q", "-f", "%s\n",
                    "-X", "session.timeout.ms=6000", topic], timeout=90)
        return sorted(line for line in r.stdout.decode().splitlines() if line)

    assert run() == sorted("m%d" % i for i in range(60))
    produce(c, topic, ["n%d" % i for i in range(9)])
    assert run() == sorted("n%d" % i for i in range(9))


def test_three_members_share_six_partitions_and_a_killed_one_is_replaced(kafka):
    """Three confluent-kafka members on six partitions: each partition owned by exactly one member,
    every message read. SIGKILL one: its partitions move to the others within the session timeout
    and, the commits being per message, nothing is skipped."""
    c = kafka
    topic = make_topic(c, 6)
    group = unique("trio")
    members = [Member(c, group, topic) for _ in range(3)]
    try:
        owned = wait_partitioned(c, members, 6)
        assert all(owned), "every member owns partitions: %s" % owned
        first = ["a%d" % i for i in range(300)]
        produce(c, topic, first)
        c.wait(lambda: set(first) <= set(read_values(members)), 60, "every message read")
        victim = members[0]
        victim.kill()
        killed_at = time.monotonic()
        survivors = members[1:]
        wait_partitioned(c, survivors, 6, timeout=30)
        moved = time.monotonic() - killed_at
        assert moved < 6 + 10, "partitions moved %.1fs after the kill (session timeout 6s)" % moved
        second = ["b%d" % i for i in range(300)]
        produce(c, topic, second)
        c.wait(lambda: set(second) <= set(read_values(survivors)), 60, "every later message read")
        # Nothing skipped: every message was read by someone.
        assert set(first + second) <= set(read_values(members))
    finally:
        stop_all(members)


def test_a_restarted_group_resumes_from_its_commits(kafka):
    c = kafka
    topic = make_topic(c, 2)
    group = unique("resume")
    produce(c, topic, ["x%d" % i for i in range(40)])
    m = Member(c, group, topic)
    try:
        c.wait(lambda: len(m.messages()) >= 40, 60, "40 messages read")
    finally:
        m.stop()
    assert "CLOSED" in m.events()
    produce(c, topic, ["y%d" % i for i in range(10)])
    again = Member(c, group, topic)
    try:
        c.wait(lambda: len(again.messages()) >= 10, 60, "the 10 new messages read")
        assert sorted(v for _, _, v in again.messages()) == sorted("y%d" % i for i in range(10))
    finally:
        again.stop()


def test_kafka_python_group_consumer(kafka):
    """kafka-python's KafkaConsumer with a group: subscribe, read, commit, and a new consumer of the
    group starts at the committed offsets."""
    c = kafka
    topic = make_topic(c, 3)
    group = unique("kp")
    produce(c, topic, ["k%d" % i for i in range(30)])

    def consume(expected):
        consumer = KafkaConsumer(topic, bootstrap_servers=c.bootstrap, group_id=group,
                                 auto_offset_reset="earliest", enable_auto_commit=False,
                                 session_timeout_ms=10000, request_timeout_ms=30000, fetch_max_wait_ms=100)
        got = []
        try:
            deadline = time.monotonic() + 60
            while len(got) < expected and time.monotonic() < deadline:
                for records in consumer.poll(timeout_ms=500).values():
                    got += [r.value.decode() for r in records]
            consumer.commit()
        finally:
            consumer.close()
        return sorted(got)

    assert consume(30) == sorted("k%d" % i for i in range(30))
    produce(c, topic, ["l%d" % i for i in range(5)])
    assert consume(5) == sorted("l%d" % i for i in range(5))


def test_cooperative_sticky_moves_only_the_partitions_that_change_owner(kafka):
    """cooperative-sticky (incremental rebalancing): when a second member joins, the first gives up
    only the partitions that move, never all of them."""
    c = kafka
    topic = make_topic(c, 6)
    group = unique("coop")
    config = {"partition.assignment.strategy": "cooperative-sticky"}
    first = Member(c, group, topic, config)
    members = [first]
    try:
        wait_partitioned(c, [first], 6)
        second = Member(c, group, topic, config)
        members.append(second)
        owned = wait_partitioned(c, members, 6)
        assert all(owned), owned
        revoked = [json.loads(line.split(" ", 1)[1]) for line in first.events() if line.startswith("REVOKE ")]
        assert revoked and all(len(r) < 6 for r in revoked), "incremental revocations only: %s" % revoked
    finally:
        stop_all(members)


def test_a_static_member_restarting_within_its_session_keeps_its_partitions(kafka):
    """KIP-345: a member with group.instance.id that restarts within its session timeout gets its
    partitions back with no rebalance: the other member sees no revocation."""
    c = kafka
    topic = make_topic(c, 4)
    group = unique("static")

    def config(name):
        return {"group.instance.id": name, "session.timeout.ms": 20000}
    a = Member(c, group, topic, config("a"))
    b = Member(c, group, topic, config("b"))
    members = [a, b]
    try:
        wait_partitioned(c, members, 4)
        before = b.owned()
        b_assigns = b.count("ASSIGN")
        a_revokes = a.count("REVOKE")
        a.kill()  # a static member's restart: no LeaveGroup
        restarted = Member(c, group, topic, config("a"))
        members.append(restarted)
        owned = wait_partitioned(c, [restarted, b], 4)
        assert owned[1] == before
        assert b.count("ASSIGN") == b_assigns and a.count("REVOKE") == a_revokes, b.events()
        produce(c, topic, ["s%d" % i for i in range(20)])
        c.wait(lambda: len(read_values([restarted, b])) >= 20, 60, "messages read after the restart")
    finally:
        stop_all(members)


@pytest.mark.timeout(240)
def test_committed_offsets_survive_sigkill_of_the_coordinator(fresh_cluster):
    c = fresh_cluster
    c.wait_listening()
    topic = make_topic(c, 2)
    group = unique("durable")
    produce(c, topic, ["d%d" % i for i in range(50)])
    consumer = Consumer({"bootstrap.servers": c.bootstrap, "group.id": group, "enable.auto.commit": False,
                         "auto.offset.reset": "earliest"})
    try:
        consumer.assign([CTopicPartition(topic, 0, 0), CTopicPartition(topic, 1, 0)])
        read = 0
        deadline = time.monotonic() + 60
        while read < 30 and time.monotonic() < deadline:
            m = consumer.poll(0.5)
            if m is not None and not m.error():
                read += 1
        commits = consumer.position([CTopicPartition(topic, 0), CTopicPartition(topic, 1)])
        consumer.commit(offsets=commits, asynchronous=False)
        acknowledged = {tp.partition: tp.offset for tp in commits}
    finally:
        consumer.close()
    coordinator = coordinator_of(c, group)
    partitions = json.loads(c.zk.get("/brokers/topics/%s" % OFFSETS_TOPIC)[0])["partitions"]
    assert len(partitions["0"]) == 3, "__consumer_offsets has 3 replicas with 3 brokers"
    c.broker(coordinator).kill()
    check = Consumer({"bootstrap.servers": c.bootstrap_of([b for b in c.brokers if b.id != coordinator]),
                      "group.id": group})
    try:
        def committed():
            try:
                got = check.committed([CTopicPartition(topic, 0), CTopicPartition(topic, 1)], timeout=5)
            except Exception:
                return None
            return {tp.partition: tp.offset for tp in got}
        assert c.wait(committed, 90, "the committed offsets from the new coordinator") == acknowledged
    finally:
        check.close()


@pytest.mark.timeout(240)
def test_idempotent_producer_across_a_stopped_leader_writes_each_message_once(fresh_cluster):
    """kafka-python's default (idempotent) producer streams to a partition whose leader is SIGSTOPped
    mid-stream and later resumed: the producer retries through the new leader, and the log holds every
    acknowledged message exactly once, in order (no duplicate, no gap)."""
    c = fresh_cluster
    c.wait_listening()
    topic = unique("idem-stop")
    c.create_topic(topic, [[1, 2, 3]])
    c.wait(lambda: sorted(c.partition_state(topic, 0)["isr"]) == [1, 2, 3], 30, "full ISR")
    values = ["v%05d" % i for i in range(3000)]
    producer = KafkaProducer(bootstrap_servers=c.bootstrap, request_timeout_ms=8000, retries=1000,
                             retry_backoff_ms=200, linger_ms=5)
    futures = []
    stopped = False
    leader = c.broker(c.partition_state(topic, 0)["leader"])
    try:
        for i, v in enumerate(values):
            futures.append(producer.send(topic, v.encode(), partition=0))
            if i == 1000:
                os.kill(leader.proc.pid, signal.SIGSTOP)
                stopped = True
            if i == 2000 and stopped:
                c.wait(lambda: c.partition_state(topic, 0)["leader"] not in (-1, leader.id), 60,
                       "a new leader while broker %d is stopped" % leader.id)
                os.kill(leader.proc.pid, signal.SIGCONT)
                stopped = False
            if i % 100 == 0:
                time.sleep(0.01)
        producer.flush(timeout=120)
        for f in futures:
            f.get(timeout=60)
    finally:
        if leader.running:
            os.kill(leader.proc.pid, signal.SIGCONT)
        producer.close(timeout=10)
    got, ends = c.read_to_end(topic, 1)
    read = [got[(0, o)][1].decode() for o in sorted(o for (_, o) in got)]
    assert read == values, "duplicates: %d, missing: %d" % (len(read) - len(set(read)), len(set(values) - set(read)))


def paddock_groups(c, *args, check=True):
    """Runs `paddock groups ARGS --bootstrap-server ...`; returns (exit status, output)."""
    cmd = [kafkacluster.ensemble.paddock_bin(), "groups"] + list(args) + ["--bootstrap-server", c.bootstrap]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if check and r.returncode != 0:
        c.fail("%s exited %d:\n%s" % (" ".join(cmd), r.returncode, r.stdout + r.stderr))
    return r.returncode, r.stdout + r.stderr


def described(c, group):
    """{partition: (current offset, log end, lag)} from `paddock groups describe`."""
    _, out = paddock_groups(c, "describe", "--group", group)
    rows = {}
    for line in out.splitlines():
        cells = line.split()
        if len(cells) >= 6 and cells[0] == group:
            rows[int(cells[2])] = tuple(None if v == "-" else int(v) for v in cells[3:6])
    return rows, out


def test_paddock_groups_lists_describes_resets_and_deletes(kafka):
    """The kafka-consumer-groups equivalents: describe shows committed offset, log end and lag;
    reset-offsets is a dry run until --execute and refuses an active group; delete removes the group."""
    c = kafka
    topic = make_topic(c, 2)
    group = unique("tool")
    produce(c, topic, ["t%d" % i for i in range(20)], partition=0)
    produce(c, topic, ["u%d" % i for i in range(6)], partition=1)
    member = Member(c, group, topic)
    try:
        c.wait(lambda: len(member.messages()) >= 26, 60, "26 messages read")
        status, out = paddock_groups(c, "reset-offsets", "--group", group, "--to-earliest", "--execute",
                                     check=False)
        assert status == 1 and "inactive" in out, out
        rows, out = described(c, group)
        assert "Stable" in out and member.events()[0].startswith("ASSIGN"), out
    finally:
        member.stop()
    rows, out = described(c, group)
    assert rows == {0: (20, 20, 0), 1: (6, 6, 0)}, out
    assert "Empty" in out, out
    _, listed = paddock_groups(c, "list")
    assert group in listed, listed
    shell = subprocess.run([kafkacluster.ensemble.paddock_bin(), "shell", "--server", c.zookeeper_connect, "groups"],
                           capture_output=True, text=True, timeout=60)
    assert [group, "Empty", "0", "0"] in [line.split() for line in shell.stdout.splitlines()], shell.stdout + shell.stderr

    _, plan = paddock_groups(c, "reset-offsets", "--group", group, "--to-earliest")
    assert "Dry run" in plan, plan
    assert described(c, group)[0] == {0: (20, 20, 0), 1: (6, 6, 0)}, "a dry run commits nothing"
    paddock_groups(c, "reset-offsets", "--group", group, "--topic", topic, "--to-earliest", "--execute")
    assert described(c, group)[0] == {0: (0, 20, 20), 1: (0, 6, 6)}
    paddock_groups(c, "reset-offsets", "--group", group, "--shift-by", "4", "--execute")
    assert described(c, group)[0] == {0: (4, 20, 16), 1: (4, 6, 2)}
    paddock_groups(c, "reset-offsets", "--group", group, "--to-datetime", "2100-01-01T00:00:00", "--execute")
    assert described(c, group)[0] == {0: (20, 20, 0), 1: (6, 6, 0)}
    # A consumer of the group starts where the reset put it.
    paddock_groups(c, "reset-offsets", "--group", group, "--shift-by", "-2", "--execute")
    again = Member(c, group, topic)
    try:
        c.wait(lambda: len(again.messages()) >= 4, 60, "the 4 records after the reset point")
        assert sorted(v for _, _, v in again.messages()) == ["t18", "t19", "u4", "u5"]
    finally:
        again.stop()

    paddock_groups(c, "delete", "--group", group)
    _, listed = paddock_groups(c, "list")
    assert group not in listed, listed


def test_group_metrics_and_a_single_broker_offsets_topic(cluster_factory):
    """One broker: __consumer_offsets gets one replica (fewer brokers than
    offsets.topic.replication.factor); /metrics shows the group, its committed offsets and lag, and the
    completed rebalances."""
    c = cluster_factory("single", brokers=1, admin_ports=True,
                        extra_config=["offsets.topic.num.partitions=4", "group.initial.rebalance.delay.ms=0"])
    c.wait_listening()
    topic = unique("metrics")
    c.create_topic(topic, [[1], [1]])
    group = unique("m")
    produce(c, topic, ["x%d" % i for i in range(10)], partition=0)
    member = Member(c, group, topic)
    try:
        c.wait(lambda: len(member.messages()) >= 10, 60, "10 messages read")
        broker = c.broker(1)

        def scraped():
            m = broker.metrics()
            key = ("kafka_consumergroup_current_offset", (("consumergroup", group), ("partition", "0"), ("topic", topic)))
            return m if m.get(key) == 10 else None
        m = c.wait(scraped, 30, "the group's committed offset in /metrics")
        assert m[("kafka_consumergroup_lag", (("consumergroup", group), ("partition", "0"), ("topic", topic)))] == 0
        assert m[("kafka_consumergroup_members", (("consumergroup", group),))] == 1
        assert m[("kafka_coordinator_group_groupmetadatamanager_numgroupsstable", ())] >= 1
        assert m[("kafka_server_group_coordinator_metrics_group_completed_rebalance_count", ())] >= 1
        produce(c, topic, ["y%d" % i for i in range(3)], partition=1)
    finally:
        member.stop()
    partitions = json.loads(c.zk.get("/brokers/topics/%s" % OFFSETS_TOPIC)[0])["partitions"]
    assert len(partitions) == 4 and all(r == [1] for r in partitions.values()), partitions
    assert "created __consumer_offsets with fewer replicas" in c.broker(1).logs_tail(2000)


@pytest.mark.timeout(240)
def test_members_carry_on_when_the_coordinator_is_killed(fresh_cluster):
    """Two members consuming while their coordinator is SIGKILLed: they find the new coordinator (which
    loads the group's offsets from its replica of __consumer_offsets) and every message produced before
    and after the kill is read."""
    c = fresh_cluster
    c.wait_listening()
    topic = make_topic(c, 4)
    group = unique("failover")
    members = [Member(c, group, topic) for _ in range(2)]
    try:
        wait_partitioned(c, members, 4)
        before = ["p%d" % i for i in range(100)]
        produce(c, topic, before)
        c.wait(lambda: set(before) <= set(read_values(members)), 60, "messages before the kill read")
        coordinator = coordinator_of(c, group)
        c.broker(coordinator).kill()
        after = ["q%d" % i for i in range(100)]
        producer = KafkaProducer(bootstrap_servers=c.bootstrap_of([b for b in c.brokers if b.id != coordinator]),
                                 request_timeout_ms=15000)
        try:
            for v in after:
                producer.send(topic, v.encode())
            producer.flush(timeout=60)
        finally:
            producer.close(timeout=10)
        c.wait(lambda: set(after) <= set(read_values(members)), 90, "messages after the kill read")
        assert coordinator_of(c, group) != coordinator
    finally:
        stop_all(members)
