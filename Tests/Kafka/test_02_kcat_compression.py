"""kcat -P / kcat -C -e round trip of 100,000 keyed messages with headers, once per compression
codec. The topic has three partitions led by brokers 1, 2 and 3 (one replica each). kcat
partitions by key (librdkafka's consistent_random: CRC-32 of the key modulo the partition count),
so every partition's exact contents and order are known in advance; every message must come back
with its key, value and headers, at consecutive offsets from 0. The segment files on disk must
hold batches compressed with the codec asked for (the broker stores batches as received;
librdkafka leaves a batch uncompressed only when compression would not shrink it): a
broker that advertised the wrong Produce versions would make librdkafka 2.0.2 silently send
uncompressed batches (reference/kafka.md §3.4, trap 1). kcat -Q must then find a record by its
timestamp inside one of those compressed batches."""

import json
import re
import zlib

import pytest

from kafkacluster import record_batches, unique

MESSAGES = 100_000
PARTITIONS = 3
CODEC_IDS = {"gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}


def _input(codec):
    """MESSAGES (key, value) pairs: 997 distinct keys, values of varying length."""
    pairs = []
    for i in range(MESSAGES):
        key = "key-%d" % (i % 997)
        value = "%s-%06d-%s" % (codec, i, "abcdefghij" * (i % 7))
        pairs.append((key, value))
    return pairs


@pytest.mark.timeout(150)
@pytest.mark.parametrize("codec", ["gzip", "snappy", "lz4", "zstd"])
def test_kcat_round_trip_with_compression(kafka, codec):
    topic = unique("z-" + codec)
    kafka.create_topic(topic, [[1], [2], [3]])
    pairs = _input(codec)
    data = "".join("%s\t%s\n" % kv for kv in pairs).encode()
    headers = ["codec", codec, "suite", "paddock-kafka"]
    kafka.kcat(["-P", "-t", topic, "-K", "\t", "-z", codec, "-H", "codec=" + codec, "-H", "suite=paddock-kafka",
                "-X", "partitioner=consistent_random", "-X", "linger.ms=20"], input=data, timeout=120)

    out = kafka.kcat(["-C", "-t", topic, "-o", "beginning", "-e", "-J", "-q"], timeout=120).stdout
    got = {p: [] for p in range(PARTITIONS)}
    stamps = {}  # partition -> CreateTime of each record, in offset order
    for line in out.splitlines():
        m = json.loads(line)
        assert m["headers"] == headers, m
        got[m["partition"]].append((m["offset"], m["key"], m["payload"]))
        stamps.setdefault(m["partition"], []).append(m["ts"])
    assert sum(len(v) for v in got.values()) == MESSAGES, {p: len(v) for p, v in got.items()}

    for p in range(PARTITIONS):
        want = [kv for kv in pairs if zlib.crc32(kv[0].encode()) % PARTITIONS == p]
        offsets = [o for o, _, _ in got[p]]
        assert offsets == list(range(len(want))), "partition %d: offsets not 0..%d in order" % (p, len(want) - 1)
        assert [(k, v) for _, k, v in got[p]] == want, "partition %d: keys/values differ or are reordered" % p

        batches = [b for f in kafka.segment_files(topic, p) for b in record_batches(f)]
        assert batches, "no segment file holds %s-%d" % (topic, p)
        assert sum(count for _, count, _ in batches) == len(want)
        # librdkafka sends a batch uncompressed when compressing does not shrink it (a batch of one
        # short message: rdkafka_msgset_writer.c); every other batch must carry the codec.
        codecs = {c for _, _, c in batches}
        compressed = sum(count for _, count, c in batches if c == CODEC_IDS[codec])
        assert codecs <= {0, CODEC_IDS[codec]}, "%s-%d stored with codecs %s" % (topic, p, sorted(codecs))
        assert compressed >= 0.99 * len(want), "%s-%d: only %d of %d records stored %s-compressed: %r" % (
            topic, p, compressed, len(want), codec, batches)

        # ListOffsets by timestamp (kcat -Q) inside a batch librdkafka compressed: the first record
        # whose CreateTime is newer than every earlier one, past its batch's first record, is found
        # exactly, as Kafka reads through the decompressed records.
        ts = stamps[p]
        newer_than_all_before = set()
        running = ts[0]
        for o in range(1, len(ts)):
            if ts[o] > running:
                newer_than_all_before.add(o)
            running = max(running, ts[o])
        inside = [o for base, count, c in batches if c == CODEC_IDS[codec] for o in range(base + 1, base + count)
                  if o in newer_than_all_before]
        assert inside, "%s-%d: no record inside a compressed batch is newer than all before it" % (topic, p)
        target = inside[len(inside) // 2]
        out = kafka.kcat(["-Q", "-t", "%s:%d:%d" % (topic, p, ts[target])]).stdout.decode()
        assert re.search(r"\[%d\] offset %d\b" % (p, target), out), (target, out)


def test_consuming_from_an_offset_inside_a_batch(kafka):
    """A fetch at an offset inside a stored batch returns that batch and the client skips the
    records before the offset (reference/kafka.md §3.4, trap 8): kcat -o 37 starts at 37 exactly."""
    topic = unique("mid")
    kafka.create_topic(topic, [[2]])
    lines = ["m%03d" % i for i in range(100)]
    kafka.kcat(["-P", "-t", topic, "-z", "lz4", "-X", "linger.ms=200"], input=("\n".join(lines) + "\n").encode())
    batches = [b for f in kafka.segment_files(topic, 0) for b in record_batches(f)]
    assert any(base < 37 < base + count for base, count, _ in batches), \
        "offset 37 should fall inside a batch: %r" % batches
    out = kafka.kcat(["-C", "-t", topic, "-p", "0", "-o", "37", "-e", "-J", "-q"]).stdout
    got = [json.loads(line) for line in out.splitlines()]
    assert [(m["offset"], m["payload"]) for m in got] == [(i, lines[i]) for i in range(37, 100)]
