"""Apache ZooKeeper C client (Debian zookeeper-bin: cli_mt) in one-shot batch mode.

cli_mt facts: results are printed on stderr; `create PATH` stores the 3 bytes "new" (the whole
rest of the line is the path, so `create /x data` creates "/x data"); flags are `+e`, `+s`,
`+es`, `+c`, `+t=TTL`; a malformed command makes batch mode hang, hence every run is bounded.
"""

import os
import re
import shutil
import subprocess

import pytest

CLI = os.environ.get("ZK_CLI_MT") or shutil.which("cli_mt") or "/usr/lib/zookeeper/bin/cli_mt"


@pytest.fixture(autouse=True)
def _require_cli():
    # A missing client is a failure, not a skip: CI installs it (.ci/run), so a skip would hide
    # an install step gone wrong.
    if not os.access(CLI, os.X_OK):
        pytest.fail("cli_mt not found at %s (apt-get install zookeeper-bin, or set ZK_CLI_MT)" % CLI)


def cli(server, cmd, timeout=15):
    p = subprocess.run([CLI, "-h", server.hosts, "-c", cmd], capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, p.stderr
    out = p.stdout + p.stderr
    assert "Got a new session id: 0x" in out, out
    return out


def test_cli_create_get_set_ls_delete(server, zk, root):
    p = root + "/cnode"
    out = cli(server, "create " + p)
    assert "[%s]: rc = 0\n\tname = %s\n" % (p, p) in out
    assert zk.get(p)[0] == b"new"

    out = cli(server, "get " + p)
    assert "%s: rc = 0\n value_len = 3\nnew\n" % p in out
    assert re.search(r"^\tversion=0\taversion=0$", out, re.M)

    out = cli(server, "set %s hello-cli" % p)
    assert "%s: rc = 0" % p in out and re.search(r"^\tversion=1\taversion=0$", out, re.M)
    assert zk.get(p) [0] == b"hello-cli"

    zk.create(p + "/kid1")
    zk.create(p + "/kid2")
    out = cli(server, "ls " + p)
    m = re.search(r"%s: rc = 0\n((?:\t.*\n)*)" % re.escape(p), out)
    assert m and sorted(l.strip() for l in m.group(1).splitlines()) == ["kid1", "kid2"]

    out = cli(server, "ls2 " + p)
    assert "%s: rc = 0" % p in out and "\tkid1\n" in out and "czxid=" in out

    out = cli(server, "delete %s/kid1" % p)
    assert "%s/kid1: rc = 0" % p in out
    assert zk.get_children(p) == ["kid2"]
    out = cli(server, "delete " + p)
    assert "%s: rc = -111" % p in out  # ZNOTEMPTY


def test_cli_errors(server, root):
    assert "%s/missing: rc = -101" % root in cli(server, "get %s/missing" % root)
    assert "%s/missing: rc = -101" % root in cli(server, "delete %s/missing" % root)
    assert "%s/missing: rc = -101" % root in cli(server, "ls %s/missing" % root)
    assert "[%s]: rc = -110" % root in cli(server, "create " + root)


def test_cli_ephemeral_sequential_container_ttl(server, zk, root):
    out = cli(server, "create +s %s/seq-" % root)
    assert "\tname = %s/seq-0000000000\n" % root in out
    out = cli(server, "create +s %s/seq-" % root)
    assert "\tname = %s/seq-0000000001\n" % root in out
    # ephemeral: created, then removed when the one-shot cli closes its session
    out = cli(server, "create +e %s/eph" % root)
    assert "Creating [%s/eph] node (mode: 1)" % root in out and "\tname = %s/eph\n" % root in out
    out = cli(server, "create +es %s/eseq-" % root)
    assert "(mode: 3)" in out and "\tname = %s/eseq-0000000003\n" % root in out
    assert sorted(zk.get_children(root)) == ["seq-0000000000", "seq-0000000001"]
    out = cli(server, "create +c %s/cont" % root)
    assert "(mode: 4)" in out and "[%s/cont]: rc = 0" % root in out
    out = cli(server, "create +t=600000 %s/ttl" % root)
    assert "(mode: 5)" in out and "[%s/ttl]: rc = 0" % root in out
    assert zk.exists(root + "/ttl") is not None


def test_cli_create2_and_sync(server, root):
    out = cli(server, "create2 %s/c2" % root)
    assert "[%s/c2]: rc = 0\n\tname = %s/c2\n" % (root, root) in out
    assert re.search(r"^\tczxid=[0-9a-f]+$", out, re.M)
    out = cli(server, "sync " + root)
    assert "[%s]: rc = 0" % root in out
