"""`admin.port`: every broker serves Prometheus text at GET /metrics under the names the JMX
exporter's kafka-2_0_0.yml rules give Kafka's MBeans. Counters follow real traffic (messages and
bytes in per topic and in all, bytes out once a consumer reads), requests are counted per API, and
the gauges match the cluster: one active controller in all, leaders and replicas per broker as
assigned, and no partition under-replicated while every follower is in sync."""

import socket
import urllib.error
import urllib.request

import pytest
from kafka import KafkaProducer

from kafkacluster import unique
from zkprocess import HOST

MESSAGES = 300


def _value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def _sum(brokers, name, **labels):
    return sum(_value(b.metrics(), name, **labels) for b in brokers)


@pytest.mark.timeout(150)
def test_metrics_follow_traffic_and_cluster_state(cluster_factory):
    c = cluster_factory("metrics", admin_ports=True)
    c.wait_listening()
    for b in c.brokers:
        assert "admin endpoint started" in b.logs_tail(400), b

    replicated = unique("rf2")   # each broker leads one partition and follows another
    single = unique("rf1")       # each broker leads one partition, alone
    c.create_topic(replicated, [[1, 2], [2, 3], [3, 1]])
    c.create_topic(single, [[1], [2], [3]])

    def gauges_match():
        for b in c.brokers:
            m = b.metrics()
            got = (_value(m, "kafka_server_replicamanager_leadercount"),
                   _value(m, "kafka_server_replicamanager_partitioncount"),
                   _value(m, "kafka_server_replicamanager_underreplicatedpartitions"),
                   _value(m, "kafka_controller_kafkacontroller_offlinepartitionscount"))
            if got != (2.0, 3.0, 0.0, 0.0):
                return None
        return _sum(c.brokers, "kafka_controller_kafkacontroller_activecontrollercount") == 1.0 or None
    c.wait(gauges_match, 30, "leadercount 2, partitioncount 3, underreplicated 0 on every broker, one controller")
    controller = c.controller()
    assert _value(c.broker(controller).metrics(), "kafka_controller_kafkacontroller_activecontrollercount") == 1.0

    bytes_before = _sum(c.brokers, "kafka_server_brokertopicmetrics_bytesin_total")
    producer = KafkaProducer(bootstrap_servers=c.bootstrap, acks=1, linger_ms=5)
    try:
        for i in range(MESSAGES):
            producer.send(replicated, value=b"m%05d" % i, partition=i % 3)
        producer.flush(timeout=60)
    finally:
        producer.close(timeout=10)

    c.wait(lambda: _sum(c.brokers, "kafka_server_brokertopicmetrics_messagesin_total", topic=replicated) == MESSAGES
           or None, 30, "messagesin for %s reaching %d" % (replicated, MESSAGES))
    per_topic_bytes = _sum(c.brokers, "kafka_server_brokertopicmetrics_bytesin_total", topic=replicated)
    assert per_topic_bytes > MESSAGES * 6, per_topic_bytes   # at least the values, in record batches
    assert _sum(c.brokers, "kafka_server_brokertopicmetrics_bytesin_total") >= bytes_before + per_topic_bytes
    assert _sum(c.brokers, "kafka_server_brokertopicmetrics_messagesin_total") >= MESSAGES
    assert _sum(c.brokers, "kafka_server_brokertopicmetrics_messagesin_total", topic=single) == 0
    produce_requests = sum(v for b in c.brokers for (name, labels), v in b.metrics().items()
                           if name == "kafka_network_requestmetrics_requests_total" and ("request", "Produce") in labels)
    assert produce_requests >= 3, produce_requests   # one partition per broker: at least one request each
    assert _sum(c.brokers, "kafka_network_requestmetrics_totaltimems_count", request="Produce") == produce_requests

    got, _ = c.read_to_end(replicated, 3)
    assert len(got) == MESSAGES
    out = _sum(c.brokers, "kafka_server_brokertopicmetrics_bytesout_total", topic=replicated)
    assert out >= per_topic_bytes, (out, per_topic_bytes)
    assert _sum(c.brokers, "kafka_network_requestmetrics_totaltimems_count", request="FetchConsumer") >= 1

    # Nothing waits for replicas once every produce is answered; every broker exports the gauge and the
    # ISR change counters (none changed: every follower kept up).
    for b in c.brokers:
        m = b.metrics()
        assert ("kafka_server_delayedoperationpurgatory_purgatorysize", (("delayedOperation", "Produce"),)) in m, b
        assert _value(m, "kafka_server_delayedoperationpurgatory_purgatorysize", delayedOperation="Produce") == 0.0
        assert ("kafka_server_replicamanager_isrshrinks_total", ()) in m, b
        assert _value(m, "kafka_server_replicamanager_isrshrinks_total") == 0.0

    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen("http://%s:%d/nope" % (HOST, c.brokers[0].admin_port), timeout=5)
    assert e.value.code == 404
    print("messagesin %d, bytesin %d, bytesout %d, produce requests %d" % (
        MESSAGES, per_topic_bytes, out, produce_requests))


@pytest.mark.timeout(120)
def test_admin_port_in_use_leaves_kafka_serving(cluster_factory):
    """A taken admin.port logs one warning; the broker still serves Kafka clients."""
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("0.0.0.0", 0))
    holder.listen(1)
    try:
        port = holder.getsockname()[1]
        c = cluster_factory("taken", brokers=1, extra_config=["admin.port=%d" % port])
        c.wait_listening()
        log = c.brokers[0].logs_tail(400)
        assert "admin endpoint not started" in log, log
        topic = unique("noadmin")
        c.kcat(["-P", "-t", topic], input=b"one\ntwo\n")
        out = c.kcat(["-C", "-t", topic, "-e", "-q"]).stdout
        assert sorted(out.split()) == [b"one", b"two"], out  # keyless records may land on any of 3 partitions
    finally:
        holder.close()
