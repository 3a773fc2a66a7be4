"""`paddock cluster up/status/down`, the local cluster Ops/run.sh starts: up prints the connect
string, the bootstrap servers and the controller once every broker registered; the brokers'
server.properties carry the ids, listeners, log.dirs and zookeeper.connect (no chroot) the README
promises; kcat sees the same brokers and controller; status reports every broker's pid, port,
registration and listener; down stops every process it started. The brokers' znodes are secured as
a secure Kafka deployment would secure them: the brokers share a generated digest credential (mode
0600 file) and set Kafka's ACLs, so an unauthenticated client can read /controller and the broker
registrations but not register a broker or rewrite one; the root stays open for ordinary ZooKeeper
clients. `up --secure-root` (a second cluster) locks the root too, so /controller cannot be deleted."""

import os
import random
import re
import socket
import subprocess
import urllib.request

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import NoAuthError

from kafkacluster import HOST, KCAT, ensemble
from zkprocess import logs_tail, wait_until


def _can_bind(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
            return True
        except OSError:
            return False


def _free_layout(members, brokers):
    """A --base-port and --kafka-base-port whose every port is free (below the ephemeral range)."""
    for _ in range(100):
        base, kafka_base = random.randrange(20000, 25000), random.randrange(31000, 32000)
        ports = [base + offset + n for offset in (0, 707, 1707, 5899) for n in range(members)]
        ports += [kafka_base + offset + n for offset in (0, 1000) for n in range(brokers)]
        if all(_can_bind(p) for p in ports):
            return base, kafka_base
    raise AssertionError("no free port layout found")


@pytest.mark.timeout(120)
def test_cluster_up_status_down(tmp_path):
    directory = str(tmp_path / "pd")
    base, kafka_base = _free_layout(1, 3)
    options = ["--dir", directory, "--members", "1", "--brokers", "3", "--base-port", str(base),
               "--kafka-base-port", str(kafka_base)]
    bootstrap = ",".join("%s:%d" % (HOST, kafka_base + n) for n in range(3))

    def paddock(*args, timeout=90):
        r = subprocess.run([ensemble.paddock_bin(), "cluster"] + list(args) + options, capture_output=True,
                           text=True, timeout=timeout)
        return r.returncode, r.stdout

    def logs():
        return "\n".join(logs_tail(os.path.join(directory, name), 30, names=(name[:-1] + ".log",))
                         for name in ("keeper1", "broker1", "broker2", "broker3"))

    try:
        status, out = paddock("up")
        assert status == 0, out + logs()
        lines = out.splitlines()
        assert lines[:2] == ["connect: %s:%d" % (HOST, base), "bootstrap: " + bootstrap], out
        controller = int(re.match(r"^controller: broker ([1-3]) \(epoch [0-9]+\)$", lines[2]).group(1))

        with open(os.path.join(directory, "broker2", "server.properties")) as f:
            props = dict(l.split("=", 1) for l in f.read().splitlines() if l and not l.startswith("#"))
        assert props["broker.id"] == "2"
        assert props["listeners"] == "PLAINTEXT://%s:%d" % (HOST, kafka_base + 1)
        assert props["admin.port"] == str(kafka_base + 1000 + 1)
        # Bound before the Kafka listener, so serving by now.
        with urllib.request.urlopen("http://%s:%d/metrics" % (HOST, kafka_base + 1000 + 1), timeout=10) as r:
            assert b"\nkafka_server_replicamanager_leadercount " in r.read()
        assert props["log.dirs"] == os.path.join(directory, "broker2", "logs")
        assert props["zookeeper.connect"] == "%s:%d" % (HOST, base)
        password_file = os.path.join(directory, "zookeeper-digest.password")
        assert props["zookeeper.set.acl"] == "true"
        assert props["paddock.zookeeper.digest.user"] == "kafka"
        assert props["paddock.zookeeper.digest.password.file"] == password_file
        assert os.stat(password_file).st_mode & 0o777 == 0o600
        assert lines[3] == ("znodes: the brokers' writable only as digest user kafka, password in %s; "
                            "/ stays open (--secure-root)" % password_file), out

        zk = KazooClient(hosts="%s:%d" % (HOST, base), timeout=10.0)
        zk.start(timeout=30)
        try:
            assert zk.get("/controller")[0]
            for attempt in (lambda: zk.create("/brokers/ids/9", b"{}", ephemeral=True),
                            lambda: zk.set("/brokers/ids/1", b"{}"),
                            lambda: zk.delete("/brokers/ids/1")):
                with pytest.raises(NoAuthError):
                    attempt()
            # The ensemble still serves ordinary clients (the README's kazoo example).
            zk.create("/app/lock-", b"", ephemeral=True, sequence=True, makepath=True)
        finally:
            zk.stop()
            zk.close()

        def kcat_view():
            r = subprocess.run([KCAT, "-b", bootstrap, "-L", "-m", "5"], capture_output=True, text=True, timeout=30)
            return r.returncode == 0 and all("broker %d at %s:%d%s\n" % (n + 1, HOST, kafka_base + n,
                                                                        " (controller)" if n + 1 == controller else "")
                                             in r.stdout for n in range(3))
        wait_until(kcat_view, timeout=30, msg="kcat -L to list the 3 brokers and controller %d" % controller)

        status, out = paddock("status")
        assert status == 0, out + logs()
        for n in range(1, 4):
            mark = " controller" if n == controller else ""
            assert re.search(r"^broker%d pid=[0-9]+ kafka=%s:%d registered=yes listening=yes%s$" % (
                n, re.escape(HOST), kafka_base + n - 1, mark), out, re.M), out
        assert re.search(r"^keeper1 pid=[0-9]+ client=%s:%d mode=leader$" % (re.escape(HOST), base), out, re.M), out
        assert "\nbootstrap: %s\n" % bootstrap in out, out

        pids = [int(open(os.path.join(directory, name, name[:-1] + ".pid")).read())
                for name in ("broker1", "broker2", "broker3", "keeper1")]
        status, out = paddock("down")
        assert (status, out) == (0, "stopped broker 1, 2, 3; keeper 1\n"), out + logs()
        for pid in pids:
            assert not os.path.exists("/proc/%d" % pid) or " Z " in open("/proc/%d/stat" % pid).read(), \
                "pid %d still running after down" % pid
    finally:
        paddock("down")  # nothing running unless an assertion above failed


@pytest.mark.timeout(90)
def test_secure_root_makes_the_root_writable_only_by_the_brokers(tmp_path):
    directory = str(tmp_path / "pd")
    base, kafka_base = _free_layout(1, 0)
    options = ["--dir", directory, "--members", "1", "--brokers", "0", "--base-port", str(base),
               "--kafka-base-port", str(kafka_base)]

    def paddock(*args):
        return subprocess.run([ensemble.paddock_bin(), "cluster"] + list(args) + options, capture_output=True,
                              text=True, timeout=90)

    try:
        r = paddock("up", "--secure-root")
        assert r.returncode == 0, r.stdout + r.stderr
        with open(os.path.join(directory, "zookeeper-digest.password")) as f:
            password = f.read().strip()
        zk = KazooClient(hosts="%s:%d" % (HOST, base), timeout=10.0)
        zk.start(timeout=30)
        try:
            assert "zookeeper" in zk.get_children("/")
            with pytest.raises(NoAuthError):
                zk.create("/app", b"")
            zk.add_auth("digest", "kafka:" + password)
            zk.create("/app", b"")
        finally:
            zk.stop()
            zk.close()
    finally:
        paddock("down")
