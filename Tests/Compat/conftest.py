"""pytest harness for the third-party-client compatibility suite.

One shared server member (session scope) serves most tests; tests that stop, kill or
restart the server get their own member (`own_server`). Target: Apache ZooKeeper via
java unless PADDOCK_BIN is set (see README.md).
"""

import atexit
import os
import re
import sys
import tempfile
import uuid

import pytest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from kazoo.client import KazooClient  # noqa: E402

import zkharness  # noqa: E402
import zkprocess  # noqa: E402  (on sys.path through zkharness)

DEFAULT_TEST_TIMEOUT = 30
_SERVERS = []  # every ServerMember started in this run, for log dumps on failure


@atexit.register
def _kill_leftovers():
    for srv in list(_SERVERS):
        if srv.running:
            srv.kill()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    yield from zkprocess.run_with_time_limit(item, DEFAULT_TEST_TIMEOUT)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for srv in _SERVERS:
            rep.sections.append(("server %s %s" % (srv.target, srv.base_dir), srv.logs_tail()))


def pytest_report_header(config):
    b = os.environ.get("PADDOCK_BIN")
    return "compat target: %s" % ("paddock (%s)" % b if b else "Apache ZooKeeper (java, Debian package)")


def _new_server(tmp_root, name, extra_cfg=None):
    d = tempfile.mkdtemp(prefix=name + "-", dir=tmp_root)
    srv = zkharness.ServerMember(d, extra_cfg=extra_cfg)
    _SERVERS.append(srv)
    srv.start()
    return srv


@pytest.fixture(scope="session")
def tmp_root(tmp_path_factory):
    return str(tmp_path_factory.mktemp("compat"))


@pytest.fixture(scope="session")
def server(tmp_root):
    """The shared server member."""
    srv = _new_server(tmp_root, "shared")
    yield srv
    srv.stop()


@pytest.fixture
def own_server(tmp_root):
    """A private server member for tests that stop/kill/restart it."""
    srv = _new_server(tmp_root, "own")
    yield srv
    srv.stop()
    _SERVERS.remove(srv)


@pytest.fixture
def server_with(tmp_root):
    """Factory: server_with(*zoo_cfg_lines) -> a private member started with those extra lines."""
    started = []

    def factory(*lines):
        srv = _new_server(tmp_root, "own", extra_cfg=lines)
        started.append(srv)
        return srv

    yield factory
    for srv in started:
        srv.stop()
        _SERVERS.remove(srv)


@pytest.fixture
def make_client():
    """Factory: make_client(server, **KazooClient kwargs) -> started client; all stopped at teardown."""
    clients = []

    def factory(srv, start=True, **kw):
        kw.setdefault("timeout", 10.0)
        c = KazooClient(hosts=srv.hosts, **kw)
        clients.append(c)
        if start:
            c.start(timeout=15)
        return c

    yield factory
    for c in clients:
        try:
            c.stop()
            c.close()
        except Exception:
            pass


@pytest.fixture
def healthy(server, make_client):
    """check(): the shared member still serves a fresh client (create, read, ruok); also run at
    teardown. For tests that throw bad input at it."""
    def check():
        c = make_client(server)
        p = c.create("/health-", b"ok", sequence=True, ephemeral=True)
        assert c.get(p)[0] == b"ok"
        assert server.fourlw("ruok") == "imok"
        c.stop()
    yield check
    check()


@pytest.fixture
def zk(server, make_client):
    return make_client(server)


@pytest.fixture
def root(zk, request):
    """A fresh, unique persistent node for this test (so tests on the shared server never collide)."""
    name = re.sub(r"[^A-Za-z0-9_-]", "_", request.node.name)[:60]
    path = "/%s-%s" % (name, uuid.uuid4().hex[:8])
    zk.create(path)
    return path
