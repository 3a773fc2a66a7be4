"""Per-connection limits on the client port (issue 11): a connection that never handshakes, a
flood of auth ids or of watches, a client that pipelines reads and never reads the replies. Each
is cut off or held back, and the member goes on serving everyone else.

Only against Paddock: the auth, watch and output limits are Paddock keys with no ZooKeeper
equivalent."""

import os
import re
import socket
import time

import pytest

import rawzk
from util import wait_until

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
    per_hog = 40_000  # 840 KB of getData requests, far more than the member reads before it stops
    frame = b"".join(rawzk.i32(len(request) + 8) + rawzk.i32(i + 1) + rawzk.i32(rawzk.GET_DATA) + request
                     for i in range(per_hog))
    hogs = []
    for _ in range(5):
        c = rawzk.connect(own_server.client_port)
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        c.sock.setblocking(False)
        hogs.append(_Hog(c, frame))
    # 5 x 40,000 replies of 1 MB would be 200 GB; the member holds about one water mark each. The
    # hogs keep offering their requests while we wait for the member to stop reading from and
    # answering every one of them (cons counters and RSS unchanged over several looks).
    counters, rss_after = _wait_until_held_back(own_server, hogs)
    for port, (queued, recved, sent) in counters.items():
        assert recved < per_hog, "the member read every request of hog %d: %r" % (port, counters)
        assert sent < 100, "the member answered hog %d although it does not read: %r" % (port, counters)
    _still_serving(own_server, make_client)
    assert rss_after - rss_before < 300 * 1024, "RSS grew from %d to %d KiB" % (rss_before, rss_after)
    for h in hogs:
        h.client.close()


class _Hog:
    """A connection that pushes `frame` whenever its socket takes more, and never reads."""

    def __init__(self, client, frame):
        self.client = client
        self.port = client.sock.getsockname()[1]
        self.unsent = memoryview(frame)

    def push(self):
        try:
            while self.unsent:
                self.unsent = self.unsent[self.client.sock.send(self.unsent):]
        except BlockingIOError:
            pass


def _hog_counters(server, ports):
    """(queued, recved, sent) per connection whose client port is in `ports`, from `cons`."""
    counters = {}
    for line in server.fourlw("cons").splitlines():
        m = re.match(r"\s*/[^:]+:(\d+)\[\d+\]\(queued=(\d+),recved=(\d+),sent=(\d+)", line)
        if m and int(m.group(1)) in ports:
            counters[int(m.group(1))] = tuple(int(g) for g in m.groups()[1:])
    return counters


def _wait_until_held_back(server, hogs, looks=5, timeout=30.0):
    """Polls, pushing the hogs' requests each time, until every hog's cons counters and the
    member's RSS stay the same over `looks` consecutive looks (the member no longer reads from or
    writes to the hogs); returns the counters and the RSS."""
    ports = {h.port for h in hogs}
    deadline = time.monotonic() + timeout
    history = []
    while True:
        for h in hogs:
            h.push()
        counters = _hog_counters(server, ports)
        history = (history + [(counters, _rss_kib(server.proc.pid))])[-looks:]
        steady = (len(history) == looks and len(counters) == len(ports)
                  and all(h[0] == counters for h in history)
                  and max(h[1] for h in history) <= history[0][1])
        if steady:
            return counters, history[-1][1]
        assert time.monotonic() < deadline, "member never settled: %r" % history
        time.sleep(0.1)


# ----------------------------------------------------------------------------- watches

WATCH_LIMITS = ("paddock.maxWatchesPerConnection=100", "paddock.maxWatchBytesPerConnection=4096")


def _total_watches(server):
    m = re.search(r"^Total watches:(\d+)$", server.fourlw("wchs"), re.M)
    assert m, "unexpected wchs output"
    return int(m.group(1))


def _closed_without_reply(c, timeout=10.0):
    """The server closes the connection and sends nothing before the EOF."""
    deadline = time.monotonic() + timeout
    got = b""
    while time.monotonic() < deadline:
        c.sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = c.sock.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            return got == b""
        if not chunk:
            return got == b""
        got += chunk
    raise AssertionError("connection still open after %.0fs (%d bytes received)" % (timeout, len(got)))


def _send_watching(c, op, body):
    c.send_frame(rawzk.i32(c.next_xid()) + rawzk.i32(op) + body)


def test_watches_per_connection_are_bounded(server_with, make_client):
    srv = server_with(*WATCH_LIMITS)
    zk = make_client(srv)
    for i in range(30):
        zk.create("/d%02d" % i)
    c = rawzk.connect(srv.client_port)
    other = rawzk.connect(srv.client_port)
    try:
        # 100 watches of three kinds, each answered: exists on missing nodes, getData, addWatch.
        for i in range(40):
            assert c.exists("/missing%02d" % i, watch=True)[0] == rawzk.NO_NODE
        for i in range(30):
            assert c.get_data("/d%02d" % i, watch=True)[0] == rawzk.OK
        for i in range(30):
            assert c.add_watch("/p%02d" % i, rawzk.ADD_WATCH_PERSISTENT)[0] == rawzk.OK
        assert c.get_data("/d00", watch=True)[0] == rawzk.OK, "a watch it already holds is set again"
        assert other.get_data("/d00", watch=True)[0] == rawzk.OK, "each connection has its own budget"
        assert _total_watches(srv) == 101

        # The 101st: the connection is closed, and the request gets no reply.
        _send_watching(c, rawzk.EXISTS, rawzk.path_watch_body("/one-too-many", True))
        assert _closed_without_reply(c)
        wait_until(lambda: _total_watches(srv) == 1, msg="the closed connection's watches dropped")
        assert "paddock.maxWatchesPerConnection" in srv.logs_tail()

        # The other connection is untouched and still hears its event.
        zk.set("/d00", b"changed")
        ev = other.wait_event(5)
        assert ev is not None and (ev.type, ev.path) == (rawzk.EV_NODE_DATA_CHANGED, "/d00")

        # Path bytes are bounded too: one 5,000-byte path passes paddock.maxWatchBytesPerConnection.
        long_path = rawzk.connect(srv.client_port)
        try:
            _send_watching(long_path, rawzk.ADD_WATCH, rawzk.ustring("/" + "a" * 4999) + rawzk.i32(0))
            assert _closed_without_reply(long_path)
        finally:
            long_path.close()
    finally:
        c.close()
        other.close()
    _still_serving(srv, make_client)


def test_set_watches_on_reconnect_count_toward_the_limit(server_with, make_client):
    srv = server_with(*WATCH_LIMITS)
    first = rawzk.connect(srv.client_port)
    paths = ["/sw%03d" % i for i in range(100)]

    def reattach():
        c = rawzk.RawClient("127.0.0.1", srv.client_port)
        c.connect(session_id=first.session_id, passwd=first.passwd)
        return c

    again = reattach()
    try:
        assert again.set_watches2(0, exist=paths[:50], persistent=paths[50:]) == rawzk.OK
        assert _total_watches(srv) == 100
    finally:
        again.close()
    wait_until(lambda: _total_watches(srv) == 0, msg="the dropped connection's watches gone")

    third = reattach()
    try:
        # 100 exist watches on missing nodes (each registered) and one recursive watch too many.
        body = (rawzk.i64(0) + rawzk.string_vector([]) + rawzk.string_vector(paths) + rawzk.string_vector([])
                + rawzk.string_vector([]) + rawzk.string_vector(["/one-too-many"]))
        third.send_frame(rawzk.i32(-8) + rawzk.i32(rawzk.SET_WATCHES2) + body)
        assert _closed_without_reply(third)
    finally:
        third.close()
        first.close()
    wait_until(lambda: _total_watches(srv) == 0, msg="the partly registered watches dropped")
    _still_serving(srv, make_client)
