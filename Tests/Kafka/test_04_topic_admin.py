"""Topic admin through the ensemble (`paddock topics ... --zookeeper`, kafka-topics' ZooKeeper
route) and through Kafka (kafka-python's KafkaAdminClient: CreateTopics/DeleteTopics), and the
znodes both leave behind, checked against Apache Kafka's ZooKeeper-mode layout
(reference/kafka.md §1.1: /cluster/id, /brokers/ids/<id>, /controller, /controller_epoch,
/brokers/topics/<t>, .../partitions/<p>/state, /config/topics/<t>, /admin/delete_topics)."""

import json
import re

import pytest
from kafka import KafkaAdminClient
from kafka.errors import InvalidReplicationFactorError, TopicAlreadyExistsError

from kafkacluster import unique

BASE64_UUID = re.compile(r"^[A-Za-z0-9_-]{22}$")
DIGITS = re.compile(r"^[0-9]+$")


def _check_topic_znode(cluster, topic, partitions, replication):
    """/brokers/topics/<t> in Kafka's format; returns {partition: replicas}."""
    t = cluster.get_json("/brokers/topics/%s" % topic)
    assert t["version"] in (1, 2, 3), t
    assignment = {int(p): r for p, r in t["partitions"].items()}
    assert sorted(assignment) == list(range(partitions)), t
    for replicas in assignment.values():
        assert len(replicas) == replication and len(set(replicas)) == replication, t
        assert set(replicas) <= {1, 2, 3}, t
    if t["version"] >= 2:
        assert t["adding_replicas"] == {} and t["removing_replicas"] == {}, t
    if t["version"] >= 3:
        assert BASE64_UUID.match(t["topic_id"]), t
    return assignment


def _check_states(cluster, topic, assignment):
    """Every partition's state znode: leader = preferred replica (all brokers alive), epoch 0, and an ISR
    of every replica in assignment order (all alive; new logs are empty, so every replica is in sync)."""
    states = cluster.wait_leaders(topic, len(assignment))
    epoch = cluster.controller_epoch()
    for p, s in states.items():
        assert set(s) >= {"version", "leader", "leader_epoch", "controller_epoch", "isr"}, s
        assert s["version"] == 1, s
        assert s["leader"] == assignment[p][0], "partition %d: leader %d, preferred %d" % (p, s["leader"],
                                                                                          assignment[p][0])
        assert s["leader_epoch"] == 0, s
        assert s["isr"] == assignment[p], s
        assert 1 <= s["controller_epoch"] <= epoch, s
        assert "leader_recovery_state" not in s or s["leader_recovery_state"] == 0, s
        assert cluster.zk.get_children("/brokers/topics/%s/partitions/%d" % (topic, p)) == ["state"]


def _wait_deleted(cluster, topic):
    cluster.wait(lambda: cluster.zk.exists("/brokers/topics/%s" % topic) is None
                 and cluster.zk.exists("/admin/delete_topics/%s" % topic) is None
                 and cluster.zk.exists("/config/topics/%s" % topic) is None,
                 30, "topic %s's znodes to be deleted" % topic)


def test_broker_and_controller_znodes_follow_kafkas_layout(cluster):
    cid = cluster.get_json("/cluster/id")
    assert cid["version"] == "1" and BASE64_UUID.match(cid["id"]), cid

    assert cluster.registered_ids() == [1, 2, 3]
    for b in cluster.brokers:
        data, stat = cluster.zk.get("/brokers/ids/%d" % b.id)
        assert stat.ephemeralOwner != 0, "/brokers/ids/%d must be ephemeral" % b.id
        reg = cluster.get_json("/brokers/ids/%d" % b.id)
        assert reg["version"] in (4, 5), reg
        assert (reg["host"], reg["port"]) == ("127.0.0.1", b.port), reg
        assert reg["endpoints"] == ["PLAINTEXT://%s" % b.address], reg
        assert reg["listener_security_protocol_map"] == {"PLAINTEXT": "PLAINTEXT"}, reg
        assert reg["jmx_port"] == -1, reg
        assert isinstance(reg["timestamp"], str) and DIGITS.match(reg["timestamp"]), reg
        assert "rack" not in reg, reg

    _, stat = cluster.zk.get("/controller")
    assert stat.ephemeralOwner != 0, "/controller must be ephemeral"
    ctl = cluster.get_json("/controller")
    assert ctl["version"] in (1, 2) and ctl["brokerid"] in (1, 2, 3), ctl
    assert isinstance(ctl["timestamp"], str) and DIGITS.match(ctl["timestamp"]), ctl
    if ctl["version"] == 2:
        assert ctl["kraftControllerEpoch"] == -1, ctl
    epoch, stat = cluster.zk.get("/controller_epoch")
    assert DIGITS.match(epoch.decode("ascii")) and int(epoch) >= 1, epoch
    assert stat.ephemeralOwner == 0, "/controller_epoch is persistent"

    for path in ("/brokers/topics", "/admin/delete_topics", "/config/topics", "/config/changes",
                 "/isr_change_notification", "/brokers/seqid"):
        assert cluster.zk.exists(path) is not None, "%s is missing (KafkaZkClient.createTopLevelPaths)" % path


def test_paddock_topics_create_describe_list_delete(cluster):
    topic = unique("pt")
    status, out = cluster.topics("create", "--topic", topic, "--partitions", "3", "--replication-factor", "2",
                                 "--config", "retention.ms=60000")
    assert out.strip() == "Created topic %s." % topic
    assignment = _check_topic_znode(cluster, topic, 3, 2)
    assert cluster.get_json("/config/topics/%s" % topic) == {"version": 1, "config": {"retention.ms": "60000"}}
    _check_states(cluster, topic, assignment)

    _, listed = cluster.topics("list")
    assert topic in listed.split("\n")
    _, described = cluster.topics("describe", "--topic", topic)
    lines = described.strip().split("\n")
    assert re.match(r"^Topic: %s\tTopicId: \S*\tPartitionCount: 3\tReplicationFactor: 2\t"
                    r"Configs: retention.ms=60000$" % re.escape(topic), lines[0]), described
    for p in range(3):
        r = ",".join(str(x) for x in assignment[p])
        assert lines[1 + p] == "\tTopic: %s\tPartition: %d\tLeader: %d\tReplicas: %s\tIsr: %s" % (
            topic, p, assignment[p][0], r, r), described

    status, out = cluster.topics("create", "--topic", topic, "--partitions", "1", "--replication-factor", "1",
                                 check=False)
    assert status == 1 and "already exists" in out, out

    _, out = cluster.topics("delete", "--topic", topic)
    assert "Topic %s is marked for deletion." % topic in out
    _wait_deleted(cluster, topic)
    _, listed = cluster.topics("list")
    assert topic not in listed


def test_kafka_admin_client_creates_and_deletes_topics(kafka):
    spread, pinned = unique("adm"), unique("adm-pinned")
    admin = KafkaAdminClient(bootstrap_servers=kafka.bootstrap, request_timeout_ms=20000)
    try:
        admin.create_topics({
            spread: {"num_partitions": 4, "replication_factor": 2, "configs": {"retention.ms": "120000"}},
            pinned: {"assignments": {0: [3, 1], 1: [1, 2]}},
        })
        assignment = _check_topic_znode(kafka, spread, 4, 2)
        assert kafka.get_json("/config/topics/%s" % spread) == {"version": 1, "config": {"retention.ms": "120000"}}
        _check_states(kafka, spread, assignment)
        assert _check_topic_znode(kafka, pinned, 2, 2) == {0: [3, 1], 1: [1, 2]}
        _check_states(kafka, pinned, {0: [3, 1], 1: [1, 2]})

        kafka.wait(lambda: {spread, pinned} <= set(admin.list_topics()), 30, "list_topics to show both topics")
        # The answering broker learns the leaders from its own watch: poll until it has them all.
        described = kafka.wait(lambda: (lambda d: d if d["error_code"] == 0 else None)(admin.describe_topics([spread])[0]),
                               30, "describe_topics without LEADER_NOT_AVAILABLE")
        leaders = {p["partition_index"]: p["leader_id"] for p in described["partitions"]}
        assert leaders == {p: r[0] for p, r in assignment.items()}, described

        with pytest.raises(TopicAlreadyExistsError):
            admin.create_topics({spread: {"num_partitions": 1, "replication_factor": 1}})
        with pytest.raises(InvalidReplicationFactorError):
            admin.create_topics({unique("adm-rf4"): {"num_partitions": 1, "replication_factor": 4}})

        admin.delete_topics([spread, pinned])
        _wait_deleted(kafka, spread)
        _wait_deleted(kafka, pinned)
        kafka.wait(lambda: not ({spread, pinned} & set(admin.list_topics())), 30,
                   "list_topics to drop the deleted topics")
    finally:
        admin.close()


def test_a_deleted_topic_recreated_under_its_name_starts_empty(kafka):
    """Deletion removes the partitions from the brokers' log.dirs (Kafka renames them away), so a
    topic created again under the same name starts at offset 0 with nothing of the old one."""
    topic = unique("again")
    kafka.create_topic(topic, [[1], [2]])
    kafka.kcat(["-P", "-t", topic], input=b"".join(b"old %d\n" % i for i in range(50)))
    kafka.topics("delete", "--topic", topic)
    _wait_deleted(kafka, topic)
    kafka.wait(lambda: not any(kafka.segment_files(topic, p) for p in range(2)), 30,
               "%s's partition directories to leave log.dirs" % topic)

    kafka.create_topic(topic, [[1], [2]])
    assert kafka.kcat(["-C", "-t", topic, "-o", "beginning", "-e", "-J", "-q"]).stdout == b""
    kafka.kcat(["-P", "-t", topic, "-p", "1"], input=b"new\n")
    out = kafka.kcat(["-C", "-t", topic, "-o", "beginning", "-e", "-J", "-q"]).stdout
    assert [(m["partition"], m["offset"], m["payload"]) for m in map(json.loads, out.splitlines())] == [(1, 0, "new")]
