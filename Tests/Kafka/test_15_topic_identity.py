"""KIP-516 topic identity on disk: every partition directory carries `partition.metadata`
(`version: 0` / `topic_id: <base64>`, Kafka's `PartitionMetadataFile`). A topic deleted and created
again under the same name while one of its brokers is down gets a new topic id; when that broker
returns, the directory it kept names the old id, so it deletes the stale log and serves the
partition empty from offset 0, never the old records (Kafka's `LogManager` does the same)."""

import json
import os

import pytest

from kafkacluster import unique


def _metadata_file(broker, topic, partition):
    return os.path.join(broker.log_dirs, "%s-%d" % (topic, partition), "partition.metadata")


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return None


def _since_last_start(broker):
    """broker's stdout.log from its latest start marker on."""
    with open(os.path.join(broker.log_dir, "stdout.log"), errors="replace") as f:
        text = f.read()
    return text[text.rfind("===== broker%d start #%d " % (broker.id, broker.starts)):]


def _messages(cluster, topic):
    out = cluster.kcat(["-C", "-t", topic, "-o", "beginning", "-e", "-J", "-q"]).stdout
    return [(m["partition"], m["offset"], m["payload"]) for m in map(json.loads, out.splitlines())]


@pytest.mark.timeout(150)
def test_topic_recreated_while_a_broker_was_down_is_served_empty(fresh_cluster):
    c = fresh_cluster
    victim = c.broker(2)
    topic = unique("reborn")
    c.wait_listening()
    c.create_topic(topic, [[2], [2]])
    c.kcat(["-P", "-t", topic, "-p", "0"], input=b"".join(b"old %d\n" % i for i in range(40)))
    c.kcat(["-P", "-t", topic, "-p", "1"], input=b"".join(b"old %d\n" % i for i in range(40, 60)))
    assert len(_messages(c, topic)) == 60
    old_id = c.get_json("/brokers/topics/%s" % topic)["topic_id"]
    for p in range(2):
        assert _read(_metadata_file(victim, topic, p)) == "version: 0\ntopic_id: %s\n" % old_id

    victim.kill()  # SIGKILL: the old logs are also recovered as after a crash
    c.wait(lambda: 2 not in c.registered_ids(), c.session_timeout_ms / 1000 + 20,
           "broker 2's registration to expire")
    c.topics("delete", "--topic", topic)
    c.wait(lambda: c.zk.exists("/brokers/topics/%s" % topic) is None
           and c.zk.exists("/admin/delete_topics/%s" % topic) is None, 30, "%s to be deleted" % topic)
    c.topics("create", "--topic", topic, "--replica-assignment", "2,2")
    new_id = c.get_json("/brokers/topics/%s" % topic)["topic_id"]
    assert new_id != old_id
    # Broker 2 was down: its directories still hold the old topic's records and id.
    for p in range(2):
        assert _read(_metadata_file(victim, topic, p)) == "version: 0\ntopic_id: %s\n" % old_id
    assert len(c.segment_files(topic, 0)) == 1

    c.restart_leading(victim, topic, 2)
    assert _messages(c, topic) == [], "the recreated topic served records of the deleted one"
    for p in range(2):
        assert _read(_metadata_file(victim, topic, p)) == "version: 0\ntopic_id: %s\n" % new_id
    c.wait(lambda: not [n for n in os.listdir(victim.log_dirs) if n.endswith("-delete")], 30,
           "the stale logs' -delete directories to be removed")
    assert "deleted log of an earlier topic with the same name" in victim.logs_tail(200)

    c.kcat(["-P", "-t", topic, "-p", "1"], input=b"new\n")
    assert _messages(c, topic) == [(1, 0, "new")]


@pytest.mark.timeout(150)
def test_malformed_partition_metadata_keeps_the_partition_unserved(fresh_cluster):
    """A partition.metadata that is not Kafka's format says nothing about whose records the log
    holds: the broker logs one error naming the file, does not serve that partition, does not retry
    it on later metadata changes, leaves the directory as it was, and keeps serving the rest."""
    c = fresh_cluster
    victim = c.broker(2)
    topic = unique("garbled")
    c.wait_listening()
    c.create_topic(topic, [[2], [2]])
    c.kcat(["-P", "-t", topic, "-p", "0"], input=b"".join(b"kept %d\n" % i for i in range(10)))
    c.kcat(["-P", "-t", topic, "-p", "1"], input=b"".join(b"other %d\n" % i for i in range(5)))
    victim.stop()
    c.wait(lambda: 2 not in c.registered_ids(), 30, "broker 2 to deregister")
    garbled = _metadata_file(victim, topic, 0)
    with open(garbled, "w") as f:
        f.write("version: 9\ntopic_id: \x00" + "A" * 5000 + "\n")
    with open(garbled) as f:
        garbage = f.read()
    segments = c.segment_files(topic, 0)

    victim.start()
    c.wait_registered([2])
    c.wait_listening([victim])
    refusal = "refusing partition with unreadable partition.metadata"
    c.wait(lambda: refusal in _since_last_start(victim), 30, "broker 2 to refuse %s-0" % topic)
    c.wait_metadata_leaders(topic, 2)
    assert c.kcat(["-C", "-t", topic, "-p", "1", "-o", "beginning", "-e", "-q"]).stdout.count(b"\n") == 5
    # Another metadata change: the refused partition is not retried (still one error line).
    c.create_topic(unique("later"), [[2]])
    log = _since_last_start(victim)
    assert log.count(refusal) == 1, log
    line = [ln for ln in log.splitlines() if refusal in ln][0]
    assert garbled in line and "field size" in line
    assert "kafka.partition=0 kafka.topic=%s leader.epoch" % topic not in log, "the refused partition was served"
    with open(garbled) as f:
        assert f.read() == garbage
    assert c.segment_files(topic, 0) == segments
