"""Per-connection limits on the client port (issue 11): a connection that never handshakes, a
flood of auth ids, a client that pipelines reads and never reads the replies. Each is cut off or
held back, and the member goes on serving everyone else.

Only against Paddock: the auth and output limits are Paddock keys with no ZooKeeper equivalent."""

import os
import socket
import time

import pytest

import rawzk

pytestmark = pytest.mark.skipif(
    not os.environ.get("PADDOCK_BIN"), reason="paddock.maxAuthIds and output water marks are Paddock-only")

AUTH_FAILED = -115


def _still_serving(server, make_client):
    c = make_client(server)
    p = c.create("/alive-", b"ok", sequence=True, ephemeral=True)
    assert c.get(p)[0] == b"ok"
    assert server.fourlw("ruok") == "imok"


def _rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for %d" % pid)


def test_connection_without_handshake_is_closed(server, make_client):
    # zookeeper.nio.sessionlessCnxnTimeout defaults to 10 s.
    s = socket.create_connection(("127.0.0.1", server.client_port), timeout=20)
    try:
        start = time.monotonic()
        assert s.recv(16) == b""
        assert time.monotonic() - start < 18
    finally:
        s.close()
    _still_serving(server, make_client)


def test_auth_ids_per_connection_are_bounded(server, make_client):
    c = rawzk.connect(server.client_port)
    try:
        # paddock.maxAuthIds = 16, the connection's "ip" id included: 15 digest ids fit.
        for i in range(15):
            assert c.add_auth("digest", b"user%d:pw" % i) == 0
        assert c.add_auth("digest", b"user15:pw") == AUTH_FAILED
        assert c.wait_closed(5)
    finally:
        c.close()
    # paddock.maxAuthBytes = 4096: one long user name is refused too.
    c = rawzk.connect(server.client_port)
    try:
        assert c.add_auth("digest", b"u" * 5000 + b":pw") == AUTH_FAILED
        assert c.wait_closed(5)
    finally:
        c.close()
    _still_serving(server, make_client)


def test_client_that_never_reads_is_held_back(own_server, make_client):
    zk = make_client(own_server)
    zk.create("/big", b"x" * 1_000_000)
    rss_before = _rss_kib(own_server.proc.pid)
    request = rawzk.path_watch_body("/big")
    hogs = []
    for _ in range(5):
        c = rawzk.connect(own_server.client_port)
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        frame = b"".join(rawzk.i32(len(request) + 8) + rawzk.i32(i + 1) + rawzk.i32(rawzk.GET_DATA) + request
                         for i in range(2000))
        c.sock.setblocking(False)
        try:
            c.sock.send(frame)  # as much as the socket takes; the server stops reading soon
        except BlockingIOError:
            pass
        hogs.append(c)
    # 5 x 2000 replies of 1 MB would be 10 GB; the member holds about one water mark each.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        time.sleep(0.2)
    rss_after = _rss_kib(own_server.proc.pid)
    _still_serving(own_server, make_client)
    assert rss_after - rss_before < 300 * 1024, "RSS grew from %d to %d KiB" % (rss_before, rss_after)
    for c in hogs:
        c.close()
