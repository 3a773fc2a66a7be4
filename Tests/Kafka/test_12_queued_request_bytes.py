"""`queued.max.request.bytes` (Paddock's default 256 MiB; Kafka's -1 would be unbounded): 100
connections that each declare a 100 MiB request frame (socket.request.max.bytes) and send its body
without ever finishing it. The broker takes the frames that fit the budget and stops reading the
rest (backpressure: their sends stall, nothing is closed), so its resident memory stays near the
budget instead of growing with every byte sent (about 2 GiB for 20 MiB per connection before the
budget existed). Small requests are not charged, so kcat keeps listing, producing and consuming while
the budget is spent; closing the uploads frees it, the waiting ones are read again, and a produce
request larger than the uncharged size goes through."""

import socket

import pytest

import frameflood
from kafkacluster import HOST, unique

MiB = 1 << 20
BUDGET = 256 * MiB
# Per connection, bytes already read when reading stopped (one socket read), plus the allocator's and
# the runtime's overhead, are allowed above the budget.
SLACK = 128 * MiB


def _open(sock):
    """True while the broker has not closed `sock` (nothing to read, no EOF)."""
    try:
        return sock.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


@pytest.mark.timeout(180)
def test_hundred_huge_declared_frames_keep_rss_bounded_and_small_requests_served(cluster_factory):
    c = cluster_factory("flood", brokers=1)
    c.wait_listening()
    broker = c.broker(1)
    topic = unique("flooded")
    c.kcat(["-P", "-t", topic, "-p", "0"], input=b"before\n")
    c.wait_leaders(topic, 3)

    pid = broker.proc.pid
    baseline = frameflood.rss_kib(pid) * 1024
    bound = baseline + BUDGET + SLACK

    def check(rss_kib):
        assert rss_kib * 1024 <= bound, "broker RSS %d MiB above the bound %d MiB" % (rss_kib >> 10, bound >> 20)

    flood = frameflood.Flood(HOST, broker.port, connections=100, declared=100 * MiB)
    try:
        result = flood.run(pid, seconds=90, on_sample=check)
        check(result["rss_peak_kib"])
        assert result["stalled"], "the broker kept reading every upload: %r" % result
        # Only what fits the budget (two 100 MiB frames) was read, plus what the kernel buffers.
        assert result["sent"] < 100 * 100 * MiB // 4, result
        assert all(_open(s) for s in flood.sockets), "waiting connections must not be closed"

        # Metadata, a small produce and a fetch are not charged: served while the budget is spent.
        assert [b["id"] for b in c.kcat_metadata()["brokers"]] == [1]
        c.kcat(["-P", "-t", topic, "-p", "0"], input=b"during\n")
        out = c.kcat(["-C", "-t", topic, "-p", "0", "-o", "beginning", "-e", "-q"]).stdout
        assert out.decode().split() == ["before", "during"]
        check(frameflood.rss_kib(pid))

        # Closing the uploads that were read releases their bytes: waiting ones are read again.
        admitted = sorted(range(len(flood.sockets)), key=lambda i: -flood.sent[i])[:2]
        assert all(flood.sent[i] > 50 * MiB for i in admitted), sorted(flood.sent)[-3:]
        waiting = [i for i in range(len(flood.sockets)) if i not in admitted]
        waiting_sent = sum(flood.sent[i] for i in waiting)
        for i in admitted:
            flood.sockets[i].close()
            flood.sent[i] = flood.per_connection  # nothing more to send there
        resumed = flood.run(pid, seconds=30, stall_seconds=3.0, on_sample=check)
        progress = sum(flood.sent[i] for i in waiting) - waiting_sent
        assert progress > 50 * MiB, "waiting uploads were not read again (%d bytes, %r)" % (progress, resumed)
        check(resumed["rss_peak_kib"])
    finally:
        flood.close()

    # With the uploads gone, a produce request above the uncharged size fits again.
    big = b"x" * (300 * 1024)
    c.kcat(["-P", "-t", topic, "-p", "1"], input=big + b"\n")
    out = c.kcat(["-C", "-t", topic, "-p", "1", "-o", "beginning", "-e", "-q"]).stdout
    assert out.rstrip(b"\n") == big
    assert broker.running
