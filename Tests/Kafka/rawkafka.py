"""A tiny synchronous Kafka wire client for what kafka-python and kcat will not send: requests
with hostile sizes, names and batch headers (the hostile-input tests).

Framing: int32 big-endian size + request header v1 (api_key, api_version, correlation_id,
client_id) + body; responses: int32 size + correlation_id + body (header v0)."""

import socket
import struct

from kafka.record.default_records import DefaultRecordBatchBuilder
from kafka.record.util import calc_crc32c

PRODUCE, FETCH, LIST_OFFSETS, METADATA, CREATE_TOPICS = 0, 1, 2, 3, 19
INVALID_RECORD, CORRUPT_MESSAGE, INVALID_TOPIC_EXCEPTION = 87, 2, 17


class ConnectionClosed(Exception):
    pass


def i8(v):
    return struct.pack(">b", v)


def i16(v):
    return struct.pack(">h", v)


def i32(v):
    return struct.pack(">i", v)


def i64(v):
    return struct.pack(">q", v)


def string(s):
    b = s.encode() if isinstance(s, str) else s
    return i16(len(b)) + b


def nullable_string(s):
    return i16(-1) if s is None else string(s)


def array(items):
    return i32(len(items)) + b"".join(items)


def record_batch(values, timestamp=1_700_000_000_000):
    """An uncompressed v2 batch of `values` (CRC-32C sealed)."""
    b = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=0, producer_id=-1,
                                  producer_epoch=-1, base_sequence=-1, batch_size=1 << 20)
    for i, v in enumerate(values):
        b.append(i, timestamp=timestamp, key=None, value=v, headers=[])
    return bytearray(b.build())


def idempotent_batch(values, producer_id, epoch, base_sequence, timestamp=1_700_000_000_000):
    """An uncompressed v2 batch of an idempotent producer (CRC-32C sealed)."""
    b = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=0, producer_id=producer_id,
                                  producer_epoch=epoch, base_sequence=base_sequence, batch_size=1 << 20)
    for i, v in enumerate(values):
        b.append(i, timestamp=timestamp, key=None, value=v, headers=[])
    return bytes(b.build())


def patch_batch(batch, **fields):
    """Overwrites header fields (max_timestamp, last_offset_delta, record_count, attributes) and
    recomputes the CRC-32C over attributes..end."""
    layout = {"attributes": (21, ">h"), "last_offset_delta": (23, ">i"), "base_timestamp": (27, ">q"),
              "max_timestamp": (35, ">q"), "record_count": (57, ">i")}
    for name, value in fields.items():
        at, fmt = layout[name]
        struct.pack_into(fmt, batch, at, value)
    struct.pack_into(">I", batch, 17, calc_crc32c(bytes(batch[21:])))
    return bytes(batch)


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def _take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError("response truncated")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def i16(self):
        return struct.unpack(">h", self._take(2))[0]

    def i32(self):
        return struct.unpack(">i", self._take(4))[0]

    def i64(self):
        return struct.unpack(">q", self._take(8))[0]

    def nullable_string(self):
        n = self.i16()
        return None if n < 0 else self._take(n).decode()


class RawKafka:
    def __init__(self, host, port, timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.correlation = 0

    def close(self):
        self.sock.close()

    def send(self, api_key, version, body):
        self.correlation += 1
        payload = i16(api_key) + i16(version) + i32(self.correlation) + string("hostile") + body
        self.sock.sendall(i32(len(payload)) + payload)
        return self.correlation

    def _recv_exact(self, n):
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise ConnectionClosed()
            out += chunk
        return out

    def call(self, api_key, version, body):
        """Sends a request and returns a Reader over its response body."""
        correlation = self.send(api_key, version, body)
        size = struct.unpack(">i", self._recv_exact(4))[0]
        data = self._recv_exact(size)
        r = Reader(data)
        assert r.i32() == correlation
        return r

    def create_topics_v1(self, name, partitions=1, replication=1):
        body = array([string(name) + i32(partitions) + i16(replication) + array([]) + array([])])
        r = self.call(CREATE_TOPICS, 1, body + i32(10_000) + i8(0))
        results = []
        for _ in range(r.i32()):
            results.append((r.nullable_string(), r.i16(), r.nullable_string()))
        return results

    def produce_v3(self, topic, partition, records, acks=1):
        body = (nullable_string(None) + i16(acks) + i32(10_000)
                + array([string(topic) + array([i32(partition) + i32(len(records)) + records])]))
        r = self.call(PRODUCE, 3, body)
        out = []
        for _ in range(r.i32()):
            name = r.nullable_string()
            for _ in range(r.i32()):
                index, error, base_offset, _append_time = r.i32(), r.i16(), r.i64(), r.i64()
                out.append((name, index, error, base_offset))
        return out

    def list_offset_v1(self, topic, partition, timestamp=-1):
        """ListOffsets v1 as a consumer (replica id -1): (error, offset); -1 is the latest (the high watermark)."""
        body = i32(-1) + array([string(topic) + array([i32(partition) + i64(timestamp)])])
        r = self.call(LIST_OFFSETS, 1, body)
        assert r.i32() == 1 and r.nullable_string() == topic and r.i32() == 1
        assert r.i32() == partition
        error, _timestamp, offset = r.i16(), r.i64(), r.i64()
        return error, offset

    def fetch_v4(self, topic, partition, offset, max_wait_ms=100, max_bytes=1 << 20):
        """Fetch v4 as a consumer: (error, high watermark, [(base offset, record count), ...])."""
        body = (i32(-1) + i32(max_wait_ms) + i32(1) + i32(max_bytes) + i8(0)
                + array([string(topic) + array([i32(partition) + i64(offset) + i32(max_bytes)])]))
        r = self.call(FETCH, 4, body)
        r.i32()  # throttle
        assert r.i32() == 1 and r.nullable_string() == topic and r.i32() == 1
        assert r.i32() == partition
        error, high_watermark, _lso = r.i16(), r.i64(), r.i64()
        aborted = r.i32()
        for _ in range(max(aborted, 0)):
            r.i64(), r.i64()
        size = r.i32()
        records = r._take(size) if size > 0 else b""
        batches, at = [], 0
        while at + 61 <= len(records):
            base, length = struct.unpack(">qi", records[at:at + 12])
            if at + 12 + length > len(records):
                break
            count = struct.unpack(">i", records[at + 57:at + 61])[0]
            batches.append((base, count))
            at += 12 + length
        return error, high_watermark, batches
