"""Issue 11 at process level, beyond test_08's verified crashes: hostile Kafka requests on the data
plane get an error or a closed connection, the broker process stays up, and kcat and kafka-python
are served afterwards. The requests are written by hand (struct) because no client sends them:
CreateTopics for 2^31-1 partitions, frames with negative, huge or lying sizes and counts, and
clients that pipeline Fetches without ever reading."""

import socket
import struct
import time

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from kafkacluster import HOST, unique

INVALID_PARTITIONS = 37


def _string(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack(">h", len(b)) + b


def _frame(api_key, version, correlation_id, body, client_id="hostile"):
    payload = struct.pack(">hhi", api_key, version, correlation_id) + _string(client_id) + body
    return struct.pack(">i", len(payload)) + payload


def _connect(broker):
    s = socket.create_connection((HOST, broker.port), timeout=10.0)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def _read_exact(sock, n):
    out = b""
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise ConnectionError("closed after %d of %d bytes" % (len(out), n))
        out += chunk
    return out


def _read_frame(sock):
    (size,) = struct.unpack(">i", _read_exact(sock, 4))
    return _read_exact(sock, size)


def _closed_by_broker(sock, timeout=10.0):
    """True when the broker closes the connection (EOF or reset) within `timeout`, reading whatever
    it sends first."""
    sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if not sock.recv(65536):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False
    return False


def _create_topics_v1(name, correlation_id=1, partitions=1):
    topic = _string(name) + struct.pack(">ihii", partitions, 1, 0, 0)
    body = struct.pack(">i", 1) + topic + struct.pack(">ib", 10_000, 0)
    return _frame(19, 1, correlation_id, body)


def _assert_still_serving(kafka):
    for b in kafka.brokers:
        assert b.running, "%s died:\n%s" % (b, b.logs_tail())
    meta = kafka.kcat_metadata()
    assert sorted(b["id"] for b in meta["brokers"]) == [1, 2, 3]
    topic = unique("after")
    kafka.create_topic(topic, [[1]])
    producer = KafkaProducer(bootstrap_servers=kafka.bootstrap, acks=1, request_timeout_ms=15000,
                             max_block_ms=30000)
    try:
        producer.send(topic, b"still-here", partition=0).get(timeout=30)
    finally:
        producer.close()
    consumer = KafkaConsumer(bootstrap_servers=kafka.bootstrap, consumer_timeout_ms=15000,
                             auto_offset_reset="earliest", enable_auto_commit=False)
    try:
        consumer.assign([TopicPartition(topic, 0)])
        consumer.seek_to_beginning()
        values = []
        deadline = time.monotonic() + 30
        while not values and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                values.extend(r.value for r in batch)
        assert values == [b"still-here"]
    finally:
        consumer.close()


def test_create_topics_with_2_31_minus_1_partitions_is_refused_quickly(kafka):
    broker = kafka.broker(1)
    with _connect(broker) as s:
        started = time.monotonic()
        s.sendall(_create_topics_v1(unique("wide"), correlation_id=7, partitions=2**31 - 1))
        response = _read_frame(s)
        assert time.monotonic() - started < 5.0
        name_length = struct.unpack(">h", response[8:10])[0]
        (error_code,) = struct.unpack(">h", response[10 + name_length:12 + name_length])
        assert error_code == INVALID_PARTITIONS
    _assert_still_serving(kafka)


@pytest.mark.parametrize("raw", [
    pytest.param(struct.pack(">i", -1), id="negative-size"),
    pytest.param(struct.pack(">i", 2**31 - 1), id="2GiB-declared-size"),
    pytest.param(struct.pack(">i", 104_857_601), id="one-past-socket.request.max.bytes"),
    pytest.param(struct.pack(">i", 3) + b"\x00\x03\x00", id="header-cut-short"),
    pytest.param(_frame(3, 7, 1, struct.pack(">i", 2**31 - 1)), id="metadata-count-2^31-1"),
    pytest.param(_frame(0, 8, 1, struct.pack(">hhii", -1, 1, 1000, 1) + _string("t") + struct.pack(">i", 1)
                        + struct.pack(">ii", 0, 2**31 - 1)), id="produce-records-length-lies"),
    pytest.param(_frame(1, 11, 1, struct.pack(">iiiibii", -1, 500, 1, 2**31 - 1, 0, 0, 0)
                        + struct.pack(">i", -5)), id="fetch-negative-count"),
    pytest.param(_frame(9999, 0, 1, b""), id="unknown-api-key"),
    pytest.param(_frame(19, 1, 1, struct.pack(">i", 1) + struct.pack(">h", 32_767) + b"x" * 10),
                 id="string-longer-than-frame"),
])
def test_malformed_frames_close_only_that_connection(kafka, raw):
    broker = kafka.broker(2)
    with _connect(broker) as s:
        s.sendall(raw)
        assert _closed_by_broker(s), "the broker must close a connection that sent %r" % raw[:16]
    _assert_still_serving(kafka)


def test_client_that_pipelines_fetches_and_never_reads(kafka):
    """A connection that sends many Fetches and reads nothing is not read further once its output
    backs up; the broker keeps serving everyone else."""
    topic = unique("noread")
    kafka.create_topic(topic, [[3]])
    producer = KafkaProducer(bootstrap_servers=kafka.bootstrap, acks=1, linger_ms=5)
    try:
        for i in range(200):
            producer.send(topic, b"v" * 4000, partition=0)
        producer.flush(timeout=30)
    finally:
        producer.close()
    fetch = (struct.pack(">iiiib", -1, 0, 1, 50 << 20, 0) + struct.pack(">ii", 0, -1)
             + struct.pack(">i", 1) + _string(topic) + struct.pack(">i", 1)
             + struct.pack(">iiqqi", 0, -1, 0, -1, 10 << 20) + struct.pack(">i", 0) + _string(""))
    frame = _frame(1, 11, 1, fetch)
    sockets = []
    try:
        for _ in range(4):
            s = _connect(kafka.broker(3))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.setblocking(False)
            sockets.append(s)
        sent = 0
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for s in sockets:
                try:
                    s.send(frame)
                    sent += 1
                except (BlockingIOError, InterruptedError):
                    pass
            time.sleep(0.01)
        assert sent > 4
        _assert_still_serving(kafka)
    finally:
        for s in sockets:
            s.close()
    _assert_still_serving(kafka)
