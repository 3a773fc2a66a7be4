"""Garbage and mutated frames on a member's quorum port while a workload runs, and a connection
claiming another member's id from a wrong address (127.0.0.2): each link is closed, nothing
acknowledged is lost, and every member keeps serving (issue 11)."""

import random
import socket
import struct
import time

import pytest

from ensemble import describe_diff, wait_until
from workload import Writer, check_all


def frame(kind, body):
    return struct.pack(">iB", len(body) + 1, kind) + body


def hello(member):
    return frame(1, struct.pack(">i", member))


def raft(sender, to, term, kind, body):
    return frame(2, struct.pack(">iiqB", sender, to, term, kind) + body)


def hostile_payloads(sender, to):
    rng = random.Random(11)
    good_hb = raft(sender, to, 1, 7, struct.pack(">qq", 0, 0))
    payloads = [
        b"\x00" * 64,                                        # zero-length frames
        struct.pack(">i", -5) + b"xx",                       # negative length
        struct.pack(">i", 0x7FFFFFFF),                       # oversized length
        hello(sender) + frame(99, b"junk"),                  # unknown frame type
        hello(sender) + raft(sender, to, -1, 7, struct.pack(">qq", 0, 0)),       # term out of range
        hello(sender) + raft(sender, to, 1, 7, struct.pack(">qq", -9, 0)),       # negative commit
        # append: prevIndex 0, 2 entries with a gap (indexes 1, 3)
        hello(sender) + raft(sender, to, 1, 5, struct.pack(">qqqi", 0, 0, 0, 2)
                             + struct.pack(">qqi", 1, 1, 0) + struct.pack(">qqi", 3, 1, 0)),
        # append whose entry payload does not decode as a txn
        hello(sender) + raft(sender, to, 1, 5, struct.pack(">qqqi", 0, 0, 0, 1)
                             + struct.pack(">qqi", 1, 1, 3) + b"\xff\x00\x01"),
        # snapshot chunk announcing 2^62 bytes
        hello(sender) + frame(5, struct.pack(">qqqqi", 1, 1, 1 << 62, 0, 1) + b"x"),
        # envelope claiming another member on this link
        hello(sender) + raft(sender + 40, to, 1, 7, struct.pack(">qq", 0, 0)),
        raft(sender, to, 1, 7, struct.pack(">qq", 0, 0)),    # no hello first
    ]
    for _ in range(20):                                     # random bit flips of a good frame
        mutated = bytearray(hello(sender) + good_hb)
        for _ in range(3):
            pos = rng.randrange(len(mutated))
            mutated[pos] ^= 1 << rng.randrange(8)
        payloads.append(bytes(mutated))
    for _ in range(10):
        payloads.append(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))))
    return payloads


def send_and_wait_close(port, data, source="127.0.0.1", timeout=10.0):
    """Sends `data`; returns True once the member closes the connection (or it is refused)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.bind((source, 0))
        s.connect(("127.0.0.1", port))
        s.sendall(data)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if s.recv(4096) == b"":
                    return True
            except socket.timeout:
                return False
            except ConnectionResetError:
                return True
        return False
    except (ConnectionResetError, BrokenPipeError):
        return True
    finally:
        s.close()


@pytest.mark.timeout(180)
def test_hostile_frames_on_quorum_port(ens):
    leader = ens.wait_quorum()
    writers = []
    for k in range(3):
        w = Writer(ens.client(), "/hostile/w%d" % k, "w%d" % k)
        w.setup()
        writers.append(w)
    for w in writers:
        w.start()
    wait_until(lambda: sum(w.acks for w in writers) >= 100, timeout=30, msg="100 writes before the attack")

    members = list(ens)
    unclosed = []
    for target in members:
        sender = next(m for m in members if m is not target).myid
        for n, data in enumerate(hostile_payloads(sender, target.myid)):
            if not send_and_wait_close(target.quorum_port, data):
                unclosed.append((target.name, n))
    # A member id claimed from 127.0.0.2 (configured: 127.0.0.1) is refused even with good frames.
    spoofed = []
    for target in members:
        sender = next(m for m in members if m is not target).myid
        data = hello(sender) + raft(sender, target.myid, 1, 7, struct.pack(">qq", 0, 0))
        if not send_and_wait_close(target.quorum_port, data, source="127.0.0.2"):
            spoofed.append(target.name)

    for target in members:
        assert target.running, "%s died" % target.name
    assert unclosed == [], "links left open after bad frames: %r" % unclosed
    assert spoofed == [], "links from a wrong address left open: %r" % spoofed

    acks = sum(w.acks for w in writers)
    wait_until(lambda: sum(w.acks for w in writers) >= acks + 100, timeout=30,
               msg="100 more acknowledged writes after the attack")
    ens.wait_quorum()
    for w in writers:
        w.stop()
        assert w.unexpected == [], w.unexpected
    common = ens.wait_identical_dumps(timeout=30)
    dumps = {m.myid: ens.dump(m) for m in ens}
    assert all(d == common for d in dumps.values()), describe_diff(dumps)
    assert check_all(writers, dumps) == []
