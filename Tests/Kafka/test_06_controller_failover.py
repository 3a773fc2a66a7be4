"""SIGKILL the controller broker: another broker wins /controller with a higher
/controller_epoch, Kafka clients see it as controller, a topic created afterwards (CreateTopics
through a surviving broker) is assigned to live brokers only, gets leaders stamped with the new
controller epoch, and takes produce (acks=all, so the high watermark covers every message before
kcat -P returns) and consume. The old controller restarts as an ordinary broker."""

import json

import pytest
from kafka import KafkaAdminClient

from kafkacluster import unique


@pytest.mark.timeout(150)
def test_new_controller_takes_over_and_serves_new_topics(fresh_cluster):
    c = fresh_cluster
    old = c.controller()
    epoch = c.controller_epoch()
    victim = c.broker(old)
    survivors = [b for b in c.brokers if b is not victim]
    survivor_ids = sorted(b.id for b in survivors)

    victim.kill()
    new = c.wait_controller(other_than=old, epoch_above=epoch, timeout=c.session_timeout_ms / 1000 + 30)
    assert new in survivor_ids
    new_epoch = c.controller_epoch()
    c.wait(lambda: c.registered_ids() == survivor_ids, 30, "broker %d to leave /brokers/ids" % old)

    c.wait_listening(survivors)
    bootstrap = c.bootstrap_of(survivors)
    c.wait(lambda: c.kcat_metadata(bootstrap=bootstrap)["controllerid"] == new, 30,
           "Metadata to name broker %d controller" % new)

    topic = unique("after-failover")
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=20000)
    try:
        admin.create_topics({topic: {"num_partitions": 3, "replication_factor": 2}})
    finally:
        admin.close()
    assignment = c.get_json("/brokers/topics/%s" % topic)["partitions"]
    assert all(sorted(r) == survivor_ids for r in assignment.values()), assignment
    states = c.wait_leaders(topic, 3, among=survivor_ids)
    assert all(s["controller_epoch"] == new_epoch for s in states.values()), states
    c.wait_metadata_leaders(topic, 3, brokers=survivors)

    lines = ["key-%d\tafter failover %d" % (i % 17, i) for i in range(600)]
    c.kcat(["-P", "-t", topic, "-K", "\t", "-X", "acks=all"], input=("\n".join(lines) + "\n").encode(),
           bootstrap=bootstrap)
    out = c.kcat(["-C", "-t", topic, "-o", "beginning", "-e", "-J", "-q"], bootstrap=bootstrap).stdout
    got = [json.loads(line) for line in out.splitlines()]
    assert sorted("%s\t%s" % (m["key"], m["payload"]) for m in got) == sorted(lines)
    for p in range(3):
        offsets = [m["offset"] for m in got if m["partition"] == p]
        assert offsets == list(range(len(offsets))), "partition %d offsets" % p

    victim.start()
    c.wait_registered([1, 2, 3], timeout=c.session_timeout_ms / 1000 * 2 + 30)
    assert (c.controller(), c.controller_epoch()) == (new, new_epoch), "the restarted broker took over"
