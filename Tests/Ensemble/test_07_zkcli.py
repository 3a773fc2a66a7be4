"""zkCli (Apache ZooKeeper's Java command-line client, Debian package `zookeeper`) works against the
ensemble unchanged: writes through one member are read through the others."""

import os
import re
import subprocess

import pytest

ZKCLI = os.environ.get("ZKCLI") or "/usr/share/zookeeper/bin/zkCli.sh"


def zkcli(hosts, *command, timeout=60):
    """One-shot zkCli: `zkCli.sh -server HOSTS cmd args`; returns its output (stdout + stderr)."""
    if not os.access(ZKCLI, os.X_OK):
        pytest.fail("zkCli.sh not found at %s (apt-get install zookeeper, or set ZKCLI)" % ZKCLI)
    p = subprocess.run([ZKCLI, "-server", hosts, *command], capture_output=True, text=True, timeout=timeout)
    return p.stdout + p.stderr


@pytest.mark.timeout(120)
def test_zkcli_reads_through_every_member(ens):
    ens.wait_quorum()
    m1, m2, m3 = list(ens)
    assert "Created /zkcli" in zkcli(ens.hosts, "create", "/zkcli", "hello")
    # read and change it through each other member
    out = zkcli(m2.hosts, "get", "/zkcli")
    assert "hello" in out.splitlines(), out
    zkcli(m3.hosts, "set", "/zkcli", "world")
    out = zkcli(m1.hosts, "get", "-s", "/zkcli")
    assert "world" in out.splitlines(), out
    assert re.search(r"^dataVersion = 1$", out, re.M), out
    assert re.search(r"^dataLength = 5$", out, re.M), out
    out = zkcli(m2.hosts, "create", "-s", "/zkcli/seq-", "x")
    assert re.search(r"Created /zkcli/seq-0000000000", out), out
    out = zkcli(m3.hosts, "ls", "/zkcli")
    assert "[seq-0000000000]" in out, out
    zkcli(m1.hosts, "deleteall", "/zkcli")
    out = zkcli(m3.hosts, "ls", "/")
    assert re.search(r"^\[zookeeper\]$", out, re.M), out
