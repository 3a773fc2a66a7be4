"""Garbage and mutated frames on a member's quorum port while a workload runs, and a connection
claiming another member's id from a wrong address (127.0.0.2): each link is closed with one log
line on the member it targeted, no member's own peer link goes down, malformed frames change
no member's state (same leader, same epoch), nothing acknowledged is lost, and every member
keeps serving (issue 11).

The hostile connections run concurrently: a malformed frame is refused at once, but a frame cut
short (or a well-formed frame on a spoofed link) is only closed by the idle timeout
(syncLimit x tickTime = 2.5 s here); one after the other they took minutes."""

import os
import random
import re
import socket
import struct
import threading
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


def malformed_payloads(sender, to):
    """Frames no correct member sends, each refused as soon as it is read."""
    return [
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
        # forward (kind 3: long term, then the txn): term out of range, txn cut short
        hello(sender) + frame(3, struct.pack(">q", -1) + b"\x00" * 8),
    ]


def random_payloads(sender, to):
    """Bit flips of a good hello + heartbeat, and random bytes. Some flips leave well-formed frames
    (another term or commit index on a link claiming `sender`, which a member may act on as it
    would on that member's own), and some cut a frame short: the idle timeout closes those."""
    rng = random.Random(11)
    good_hb = raft(sender, to, 1, 7, struct.pack(">qq", 0, 0))
    payloads = []
    for _ in range(20):
        mutated = bytearray(hello(sender) + good_hb)
        for _ in range(3):
            pos = rng.randrange(len(mutated))
            mutated[pos] ^= 1 << rng.randrange(8)
        payloads.append(bytes(mutated))
    for _ in range(10):
        payloads.append(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))))
    return payloads


class HostileLink(threading.Thread):
    """Sends `data` on a new connection to `target`'s quorum port from `source`; `closed` is True
    once the member closes it (or refuses it) within `timeout`. `local_port`: this end's port, which
    the member logs with the line that closes the link."""

    def __init__(self, target, data, source="127.0.0.1", timeout=10.0):
        super().__init__(daemon=True)
        self.target, self.data, self.source, self.timeout = target, data, source, timeout
        self.closed = False
        self.local_port = None

    def run(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        try:
            s.bind((self.source, 0))
            self.local_port = s.getsockname()[1]
            s.connect(("127.0.0.1", self.target.quorum_port))
            s.sendall(self.data)
            deadline = time.monotonic() + self.timeout
            while time.monotonic() < deadline:
                try:
                    if s.recv(4096) == b"":
                        self.closed = True
                        return
                except socket.timeout:
                    return
                except ConnectionResetError:
                    self.closed = True
                    return
        except (ConnectionResetError, BrokenPipeError):
            self.closed = True
        finally:
            s.close()


CLOSE_LINE = re.compile(r"^.*remote=\S*?([0-9.]+):(\d+) .*closing (?:peer link after bad input|silent peer link)$",
                        re.MULTILINE)


def log_text(member):
    with open(os.path.join(member.log_dir, "stdout.log"), "rb") as f:
        return f.read().decode("utf-8", "replace")


def attack(links):
    """Runs every hostile link at once; returns the seconds until the last was closed."""
    started = time.monotonic()
    for _, _, link in links:
        link.start()
    for _, _, link in links:
        link.join(link.timeout + 5)
    return time.monotonic() - started


def check_attack(ens, links, logs_before):
    """Every link closed, each with exactly one log line on the member it targeted; no member
    died and no member's own peer link went down meanwhile."""
    for m in ens:
        assert m.running, "%s died" % m.name
    unclosed = [(t.name, what) for t, what, link in links if not link.closed]
    assert unclosed == [], "links left open after bad frames: %r" % unclosed
    if ens.target != "paddock":
        return
    problems = []
    for target in ens:
        text = log_text(target)[logs_before[target.myid]:]
        logged = sorted((ip, int(port)) for ip, port in CLOSE_LINE.findall(text))
        expected = sorted((link.source, link.local_port) for t, _, link in links if t is target)
        if logged != expected:
            problems.append("%s: close lines for %r, hostile links %r" % (target.name, logged, expected))
        if "peer link down" in text:
            problems.append("%s: a member's own peer link went down during the attack" % target.name)
    assert problems == [], "\n".join(problems)


@pytest.mark.timeout(120)
def test_hostile_frames_on_quorum_port(ens):
    ens.wait_quorum()
    writers = []
    for k in range(3):
        w = Writer(ens.client(), "/hostile/w%d" % k, "w%d" % k)
        w.setup()
        writers.append(w)
    for w in writers:
        w.start()
    wait_until(lambda: sum(w.acks for w in writers) >= 100, timeout=30, msg="100 writes before the attack")
    members = list(ens)

    def sender_for(target):
        return next(m for m in members if m is not target).myid

    # Phase 1: malformed frames, and a member id claimed from 127.0.0.2 (configured: 127.0.0.1),
    # refused even with good frames. None may change any member's state: the leader and the
    # epoch of new zxids stay the same while writes go on.
    leader = ens.wait_quorum()
    epoch = leader.zxid() >> 32
    logs_before = {m.myid: len(log_text(m)) for m in members} if ens.target == "paddock" else {}
    links = []
    for target in members:
        sender = sender_for(target)
        for n, data in enumerate(malformed_payloads(sender, target.myid)):
            links.append((target, "malformed %d" % n, HostileLink(target, data)))
        spoofed = hello(sender) + raft(sender, target.myid, 1, 7, struct.pack(">qq", 0, 0))
        links.append((target, "spoofed address", HostileLink(target, spoofed, source="127.0.0.2")))
    took = attack(links)
    check_attack(ens, links, logs_before)
    acks = sum(w.acks for w in writers)
    wait_until(lambda: sum(w.acks for w in writers) >= acks + 20, timeout=30, msg="20 more writes")
    assert ens.find_leader() is leader, "the leader changed: %r" % ens.modes()
    assert leader.zxid() >> 32 == epoch, "the epoch moved from %d to %d" % (epoch, leader.zxid() >> 32)
    print("\n%d malformed links closed in %.1fs" % (len(links), took))

    # Phase 2: bit flips and random bytes.
    logs_before = {m.myid: len(log_text(m)) for m in members} if ens.target == "paddock" else {}
    links = []
    for target in members:
        for n, data in enumerate(random_payloads(sender_for(target), target.myid)):
            links.append((target, "random %d" % n, HostileLink(target, data)))
    took = attack(links)
    check_attack(ens, links, logs_before)
    print("%d mutated links closed in %.1fs" % (len(links), took))

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
