"""Process-level fuzzing (issue 11): random and mutated frames to a running `paddock keeper`
(client and quorum ports) and `paddock broker` (Kafka port), over many short connections. The
frames start from the committed fuzz corpora (Tests/Fuzz/*/corpus: real client frames from the
golden fixtures, peer frames from the real encoders) with bytes flipped, integers replaced by
boundary values, length fields changed, truncated, extended, spliced, or replaced by random bytes.
After each batch of connections both servers must still answer a well-formed request from a fresh
client; at the end both processes are alive and their logs hold no trap.

Seeded and bounded: PADDOCK_HOSTILE_SEED (default 11), PADDOCK_HOSTILE_FRAMES frames per port
(default 3000), PADDOCK_HOSTILE_SECONDS per port (default 60), whichever ends first. Loopback only.
"""

import os
import random
import socket
import struct
import time

import pytest

from zkprocess import HOST

HERE = os.path.dirname(os.path.abspath(__file__))
CORPORA = os.path.join(HERE, "..", "Fuzz")
SEED = int(os.environ.get("PADDOCK_HOSTILE_SEED", "11"))
FRAMES = int(os.environ.get("PADDOCK_HOSTILE_FRAMES", "3000"))
SECONDS = float(os.environ.get("PADDOCK_HOSTILE_SECONDS", "60"))
CONNECTIONS_PER_BATCH = 40
HEALTH_DEADLINE = 20.0

# What a trap leaves in a Swift process's output.
TRAP_MARKERS = ("Fatal error", "Precondition failed", "Assertion failed", "Illegal instruction",
                "Segmentation fault", "Current stack trace", "💣 Program crashed")

INTERESTING_INT32 = [0, 1, -1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, -0x80000000,
                     0x3FFFFFFF, 1 << 20, (1 << 20) + 1, 100 * 1024 * 1024 + 1, 65000]


def split_frames(data):
    """The frames of a length-prefixed corpus file (a torn tail is dropped)."""
    frames, i = [], 0
    while i + 4 <= len(data):
        (n,) = struct.unpack_from(">i", data, i)
        if n < 0 or i + 4 + n > len(data):
            break
        frames.append(data[i + 4:i + 4 + n])
        i += 4 + n
    return frames


def corpus(target):
    d = os.path.join(CORPORA, target, "corpus")
    sessions = []
    for name in sorted(os.listdir(d)):
        with open(os.path.join(d, name), "rb") as f:
            frames = split_frames(f.read())
        if frames:
            sessions.append(frames)
    assert sessions, "no frames in %s" % d
    return sessions


def mutate(rng, payload):
    """One to three mutations of a frame payload."""
    data = bytearray(payload)
    for _ in range(rng.randint(1, 3)):
        choice = rng.randrange(8)
        if choice == 0 and data:                      # flip bits
            for _ in range(rng.randint(1, 4)):
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif choice == 1 and data:                    # boundary byte
            data[rng.randrange(len(data))] = rng.choice([0x00, 0x01, 0x7F, 0x80, 0xFF])
        elif choice == 2 and len(data) >= 4:          # boundary int32 (a count, a length, a size)
            at = rng.randrange(len(data) - 3)
            struct.pack_into(">i", data, at, rng.choice(INTERESTING_INT32) if rng.random() < 0.8
                             else rng.randint(-0x80000000, 0x7FFFFFFF))
        elif choice == 3 and len(data) >= 2:          # boundary int16 (Kafka strings, versions)
            at = rng.randrange(len(data) - 1)
            struct.pack_into(">h", data, at, rng.choice([-1, 0, 0x7FFF, -0x8000, 0x4000, 12, 100]))
        elif choice == 4 and data:                    # truncate
            del data[rng.randrange(len(data)):]
        elif choice == 5:                             # extend with random bytes
            data += bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
        elif choice == 6 and data:                    # repeat a slice
            a = rng.randrange(len(data))
            b = min(len(data), a + rng.randint(1, 32))
            data[a:a] = data[a:b] * rng.randint(2, 40)
        else:                                         # random bytes
            data = bytearray(rng.randrange(256) for _ in range(rng.randint(0, 96)))
    return bytes(data)


def framed(rng, payload):
    """The payload with its length prefix: usually right, sometimes wrong (huge, negative, off)."""
    r = rng.random()
    if r < 0.85:
        n = len(payload)
    elif r < 0.90:
        n = rng.choice([-1, -0x80000000, 0x7FFFFFFF, 0x40000000, 1 << 20, (1 << 20) + 1, 100 * 1024 * 1024 + 1])
    elif r < 0.95:
        n = max(0, len(payload) + rng.randint(-8, 8))
    else:
        n = 0
    return struct.pack(">i", n) + payload


def send(port, chunks, rng):
    """One connection: the chunks (split at random points), then whatever the server answers within
    a short time; resets and refusals to read more are normal answers to garbage. Returns whether the
    connection was established at all (a refused connect would fuzz nothing)."""
    data = b"".join(chunks)
    try:
        s = socket.create_connection((HOST, port), timeout=2.0)
    except OSError:
        return False
    try:
        with s:
            s.settimeout(0.3)
            i = 0
            while i < len(data):
                step = len(data) - i if rng.random() < 0.7 else rng.randint(1, len(data) - i)
                s.sendall(data[i:i + step])
                i += step
            if rng.random() < 0.5:
                s.shutdown(socket.SHUT_WR)
            try:
                while s.recv(65536):
                    pass
            except (socket.timeout, OSError):
                pass
    except OSError:
        pass
    return True


# ------------------------------------------------------------------ health checks


def recv_frame(s):
    def exact(n):
        buf = b""
        while len(buf) < n:
            chunk = s.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("closed after %d of %d bytes" % (len(buf), n))
            buf += chunk
        return buf
    (n,) = struct.unpack(">i", exact(4))
    return exact(n)


def keeper_answers(port):
    """A fresh session: handshake, exists("/") answered OK, closeSession."""
    with socket.create_connection((HOST, port), timeout=5.0) as s:
        connect = struct.pack(">iqiqi", 0, 0, 10000, 0, 16) + b"\0" * 16 + b"\0"
        s.sendall(struct.pack(">i", len(connect)) + connect)
        response = recv_frame(s)
        assert len(response) in (36, 37), response
        (timeout,) = struct.unpack_from(">i", response, 4)
        assert timeout > 0, "session refused: %r" % response
        exists = struct.pack(">ii", 1, 3) + struct.pack(">i", 1) + b"/" + b"\0"
        s.sendall(struct.pack(">i", len(exists)) + exists)
        xid, _zxid, err = struct.unpack_from(">iqi", recv_frame(s))
        assert (xid, err) == (1, 0), (xid, err)
        close = struct.pack(">ii", 2, -11)
        s.sendall(struct.pack(">i", len(close)) + close)
    return True


def broker_answers(port):
    """ApiVersions v0 answered with the same correlation id and no error."""
    with socket.create_connection((HOST, port), timeout=5.0) as s:
        client = b"hostile-check"
        request = struct.pack(">hhih", 18, 0, 4242, len(client)) + client
        s.sendall(struct.pack(">i", len(request)) + request)
        response = recv_frame(s)
        correlation, error = struct.unpack_from(">ih", response)
        assert (correlation, error) == (4242, 0), (correlation, error)
    return True


def healthy(servers):
    """Both processes alive and answering (polled with a deadline: a server busy with the last batch
    may take a moment)."""
    keeper = servers.keeper[0]
    broker = servers.brokers[0]
    deadline = time.monotonic() + HEALTH_DEADLINE
    last = None
    while True:
        for member in servers.keeper.members:
            assert member.proc.poll() is None, "keeper %s exited with %s" % (member.name, member.proc.returncode)
        assert broker.running, "broker exited with %s" % broker.proc.returncode
        try:
            return keeper_answers(keeper.client_port) and broker_answers(broker.port)
        except (OSError, AssertionError, ConnectionError, struct.error) as e:
            last = e
        if time.monotonic() >= deadline:
            raise AssertionError("servers stopped answering well-formed requests: %r" % (last,))
        time.sleep(0.2)


def assert_no_trap(servers):
    dirs = [m.log_dir for m in servers.keeper.members] + [b.log_dir for b in servers.brokers]
    for d in dirs:
        for name in os.listdir(d):
            with open(os.path.join(d, name), "rb") as f:
                text = f.read().decode("utf-8", "replace")
            for marker in TRAP_MARKERS:
                assert marker not in text, "%s/%s logged %r" % (d, name, marker)


# ------------------------------------------------------------------ the fuzzers


def fuzz_port(servers, port, build_connection, label):
    rng = random.Random("%d-%s" % (SEED, label))
    start = time.monotonic()
    frames = connections = established = batches = 0
    while frames < FRAMES and time.monotonic() - start < SECONDS:
        for _ in range(CONNECTIONS_PER_BATCH):
            chunks = build_connection(rng)
            frames += len(chunks)
            connections += 1
            established += send(port, chunks, rng)
        batches += 1
        healthy(servers)
    elapsed = time.monotonic() - start
    print("\nhostile %s: seed %d, %d frames over %d connections (%d established) in %d batches, %.1f s"
          % (label, SEED, frames, connections, established, batches, elapsed))
    assert frames > 0
    # The server may refuse a few connects while it is busy, but the frames must have reached it.
    assert established >= connections * 0.9, "%d of %d connections refused" % (connections - established, connections)
    assert_no_trap(servers)


def test_keeper_client_port(servers):
    sessions = corpus("zookeeper")

    def connection(rng):
        frames = rng.choice(sessions)
        connect, requests = frames[0], frames[1:] or frames
        first = framed(rng, mutate(rng, connect)) if rng.random() < 0.2 else struct.pack(">i", len(connect)) + connect
        chunks = [first]
        for _ in range(rng.randint(1, 6)):
            payload = rng.choice(requests)
            chunks.append(framed(rng, mutate(rng, payload)) if rng.random() < 0.85
                          else struct.pack(">i", len(payload)) + payload)
        return chunks

    healthy(servers)
    fuzz_port(servers, servers.keeper[0].client_port, connection, "keeper client port")


def test_broker_port(servers):
    frames = [f for session in corpus("kafka") for f in session]

    def connection(rng):
        chunks = []
        for _ in range(rng.randint(1, 5)):
            payload = rng.choice(frames)
            chunks.append(framed(rng, mutate(rng, payload)) if rng.random() < 0.9
                          else struct.pack(">i", len(payload)) + payload)
        return chunks

    healthy(servers)
    fuzz_port(servers, servers.brokers[0].port, connection, "broker port")


def test_keeper_quorum_port(servers):
    frames = [f for session in corpus("peer") for f in session]

    def connection(rng):
        return [framed(rng, mutate(rng, rng.choice(frames))) for _ in range(rng.randint(1, 4))]

    healthy(servers)
    # Member 2's quorum port: a peer link into a live three-member ensemble (the health check asks
    # member 1, and every member must stay up).
    fuzz_port(servers, servers.keeper[1].quorum_port, connection, "keeper quorum port")
