"""The admin HTTP endpoint (`admin.enableServer`, `admin.serverPort`): Prometheus text at /metrics
under ZooKeeper's metric names, the four-letter words at /commands/<word> (and ZooKeeper's long
command names), 404 for anything else.

Only against Paddock: ZooKeeper 3.8's AdminServer answers JSON at /commands and serves /metrics
on a separate metricsProvider port."""

import os
import urllib.error
import urllib.request

import pytest

from zkprocess import free_ports

pytestmark = pytest.mark.skipif(not os.environ.get("PADDOCK_BIN"), reason="Paddock's admin endpoint layout")


def _get(port, path):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read().decode()


def test_metrics_and_commands(server_with, make_client):
    port = free_ports(1)[0]
    member = server_with("admin.enableServer=true", "admin.serverAddress=127.0.0.1", "admin.serverPort=%d" % port)
    zk = make_client(member)
    for i in range(5):
        zk.create("/admin-%d" % i, b"x")

    status, content_type, body = _get(port, "/metrics")
    assert status == 200 and content_type.startswith("text/plain; version=0.0.4"), (status, content_type)
    counts = {line.split()[0]: float(line.split()[1]) for line in body.splitlines()
              if line and not line.startswith("#")}
    assert counts["znode_count"] >= 6, body  # /, /zookeeper..., and the five above
    assert counts["num_alive_connections"] >= 1, body
    assert counts["global_sessions"] >= 1, body

    assert _get(port, "/commands/ruok")[2] == "imok"
    status, _, body = _get(port, "/commands/monitor")  # ZooKeeper's long name for mntr
    assert status == 200 and "zk_znode_count" in body, body
    assert _get(port, "/commands/nope")[0] == 404
    assert _get(port, "/elsewhere")[0] == 404
