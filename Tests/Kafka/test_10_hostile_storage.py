"""Issue 11, segment storage and broker znodes: hostile batches and znodes never crash a broker.

- A Produce whose batch carries a max timestamp of Int64.min after a normal batch (it used to
  overflow `appendMaxTimestamp - firstBatchTimestamp` in SegmentPolicy and kill the broker).
- Compressed batches claiming millions of records each (records are never decompressed on
  append): offsets that would pass a segment's 32-bit relative offsets roll a new segment.
- A bad /brokers/ids/N registration (port 0, garbage) is skipped and logged; every broker keeps
  serving.
After each, every broker is still running and answers Metadata and Produce.
"""

import os
import socket
import struct

import pytest
from kafka.record._crc32c import crc as crc32c
from kafka.record.default_records import DefaultRecordBatchBuilder

from kafkacluster import unique

INT64_MIN = -(1 << 63)
INT32_MAX = (1 << 31) - 1


def _batch(value=b"v", timestamp=1_000, max_timestamp=None, record_count=None, gzip=False):
    """One magic-2 batch, its header patched after building (CRC-32C recomputed)."""
    builder = DefaultRecordBatchBuilder(
        magic=2, compression_type=1 if gzip else 0, is_transactional=False, producer_id=-1, producer_epoch=-1,
        base_sequence=-1, batch_size=1 << 20)
    builder.append(0, timestamp=timestamp, key=None, value=value, headers=[])
    batch = bytearray(builder.build())
    if max_timestamp is not None:
        struct.pack_into(">qq", batch, 27, max_timestamp, max_timestamp)
    if record_count is not None:
        struct.pack_into(">i", batch, 23, record_count - 1)
        struct.pack_into(">i", batch, 57, record_count)
    struct.pack_into(">I", batch, 17, crc32c(bytes(batch[21:])))
    return bytes(batch)


def _string(text):
    data = text.encode()
    return struct.pack(">h", len(data)) + data


def _produce(address, topic, partition, records, correlation=7):
    """Produce v3 (acks=1) of `records` to one partition; returns its (error_code, base_offset)."""
    body = (struct.pack(">h", -1) + struct.pack(">hi", 1, 10_000) + struct.pack(">i", 1) + _string(topic)
            + struct.pack(">i", 1) + struct.pack(">ii", partition, len(records)) + records)
    request = struct.pack(">hhi", 0, 3, correlation) + _string("hostile") + body
    host, port = address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=15) as s:
        s.sendall(struct.pack(">i", len(request)) + request)
        size = struct.unpack(">i", _read(s, 4))[0]
        reply = _read(s, size)
    (got,) = struct.unpack_from(">i", reply, 0)
    assert got == correlation
    pos = 4 + 4  # correlation, topic count
    (name_len,) = struct.unpack_from(">h", reply, pos)
    pos += 2 + name_len + 4  # name, partition count
    index, error, base_offset = struct.unpack_from(">ihq", reply, pos)
    assert index == partition
    return error, base_offset


def _read(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        assert chunk, "broker closed the connection"
        data += chunk
    return data


def _assert_all_serve(c, topic):
    """Every broker runs and answers Metadata; the topic takes a normal produce."""
    for b in c.brokers:
        assert b.running, "%s died:\n%s" % (b, b.logs_tail())
        meta = c.kcat_metadata(topic=topic, bootstrap=b.address)
        assert [t["topic"] for t in meta["topics"]] == [topic]
    error, _ = _produce(c.broker(1).address, topic, 0, _batch(b"after"))
    assert error == 0


@pytest.mark.timeout(120)
def test_int64_min_max_timestamp_after_a_normal_batch_is_stored(kafka):
    c = kafka
    topic = unique("hostile-ts")
    c.create_topic(topic, [[1]])
    leader = c.broker(1).address
    assert _produce(leader, topic, 0, _batch(b"normal")) == (0, 0)
    assert _produce(leader, topic, 0, _batch(b"min", max_timestamp=INT64_MIN)) == (0, 1)
    assert _produce(leader, topic, 0, _batch(b"next")) == (0, 2)
    _assert_all_serve(c, topic)


# What a gzip batch may claim unchecked: 64 MiB of 7-byte records; per append just under 2^31.
CLAIMED = (64 << 20) // 7
PER_APPEND = INT32_MAX // CLAIMED
SPAN = PER_APPEND * CLAIMED


@pytest.mark.timeout(120)
def test_offsets_past_a_segments_32_bits_roll_a_new_segment(kafka):
    c = kafka
    topic = unique("hostile-count")
    c.create_topic(topic, [[1]])
    leader = c.broker(1).address
    # A value that gzip shrinks: kafka-python sends a batch uncompressed when compressing does not pay,
    # and an uncompressed batch may claim only as many records as its bytes can hold.
    huge = _batch(b"h" * 2000, record_count=CLAIMED, gzip=True) * PER_APPEND
    assert struct.unpack_from(">h", huge, 21)[0] & 7 == 1, "the batch is gzip-compressed"
    assert _produce(leader, topic, 0, _batch(b"first")) == (0, 0)
    assert _produce(leader, topic, 0, huge) == (0, 1)
    assert _produce(leader, topic, 0, huge) == (0, 1 + SPAN)
    # The third would pass the first segment's 32-bit relative offsets: a new segment.
    assert _produce(leader, topic, 0, huge) == (0, 1 + 2 * SPAN)
    assert _produce(leader, topic, 0, _batch(b"later")) == (0, 1 + 3 * SPAN)
    names = sorted(os.path.basename(p) for p in c.segment_files(topic, 0))
    assert names == ["%020d.log" % 0, "%020d.log" % (1 + 2 * SPAN)]
    _assert_all_serve(c, topic)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("payload", [
    b'{"endpoints":["PLAINTEXT://127.0.0.1:0"],"jmx_port":-1,"port":0,"host":"127.0.0.1","version":5}',
    b'{"endpoints":["PLAINTEXT://127.0.0.1:70000"],"version":5}',
    b'{"host":"127.0.0.1","port":99999999999999999,"version":1}',
    b'\xff\xfe not json',
])
def test_bad_broker_registration_is_skipped_and_every_broker_serves(kafka, payload):
    c = kafka
    topic = unique("hostile-reg")
    c.create_topic(topic, [[1]])
    path = "/brokers/ids/77"
    c.zk.create(path, payload, ephemeral=True)
    try:
        c.wait(lambda: all("skipping malformed znode" in b.logs_tail(400) for b in c.brokers), 30,
               "every broker to log the bad registration")
        _assert_all_serve(c, topic)
        for b in c.brokers:
            meta = c.kcat_metadata(bootstrap=b.address)
            assert 77 not in [m["id"] for m in meta["brokers"]]
    finally:
        c.zk.delete(path)
    _assert_all_serve(c, topic)
