"""kcat -L: every broker is listed with its listener, the controller is marked, and every broker
answers the same Metadata (brokers, controller id, topic leaders as in the state znodes)."""

import json

from kafkacluster import unique


def test_kcat_lists_every_broker_and_marks_the_controller(kafka):
    controller = kafka.controller()
    assert controller in (1, 2, 3), "/controller names broker %r" % controller
    text = kafka.kcat(["-L", "-m", "10"]).stdout.decode("utf-8", "replace")
    assert " 3 brokers:" in text, text
    for b in kafka.brokers:
        mark = " (controller)" if b.id == controller else ""
        assert "  broker %d at %s%s\n" % (b.id, b.address, mark) in text, text
    assert text.count("(controller)") == 1, text


def test_every_broker_answers_the_same_metadata(kafka):
    topic = unique("md")
    kafka.create_topic(topic, [[1, 2], [2, 3], [3, 1]])
    states = kafka.wait_leaders(topic, 3)
    controller = kafka.controller()
    for b in kafka.brokers:
        md = kafka.kcat_metadata(topic, bootstrap=b.address)
        assert md["originating_broker"]["id"] == b.id, md
        assert md["controllerid"] == controller, md
        assert sorted((x["id"], x["name"]) for x in md["brokers"]) == [(x.id, x.address) for x in kafka.brokers]
        (t,) = [t for t in md["topics"] if t["topic"] == topic]
        assert "error" not in t, t
        got = {p["partition"]: (p["leader"], [r["id"] for r in p["replicas"]], sorted(i["id"] for i in p["isrs"]))
               for p in t["partitions"]}
        want = {p: (s["leader"], [[1, 2], [2, 3], [3, 1]][p], sorted(s["isr"])) for p, s in states.items()}
        assert got == want, "broker %d's Metadata differs from the state znodes" % b.id


def test_producing_to_an_unknown_topic_creates_it_with_the_broker_defaults(kafka):
    """Metadata auto-creation (auto.create.topics.enable): kcat -P to a new topic creates it with
    num.partitions=3 and default.replication.factor=1, and the messages arrive (reference/kafka.md
    §3.4, trap 7)."""
    topic = unique("auto")
    lines = ["auto %d" % i for i in range(30)]
    kafka.kcat(["-P", "-t", topic], input=("\n".join(lines) + "\n").encode())
    partitions = kafka.get_json("/brokers/topics/%s" % topic)["partitions"]
    assert sorted(partitions) == ["0", "1", "2"] and all(len(r) == 1 for r in partitions.values()), partitions
    kafka.wait_leaders(topic, 3)
    out = kafka.kcat(["-C", "-t", topic, "-o", "beginning", "-e", "-J", "-q"]).stdout
    assert sorted(json.loads(line)["payload"] for line in out.splitlines()) == sorted(lines)
