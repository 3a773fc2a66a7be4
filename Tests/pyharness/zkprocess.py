"""Helpers shared by the Python suites (Tests/Compat, Tests/Ensemble) that start ZooKeeper-compatible
servers as processes on loopback: free ports, four-letter words, deadline polling, how to launch
Apache ZooKeeper from Debian's package (the search order of shared/bench/zk-ensemble.sh), and the
per-test SIGALRM time limit.

Every wait polls with a deadline; nothing sleeps for a fixed "long enough" time.
"""

import glob
import os
import shutil
import signal
import socket
import subprocess
import time

HOST = "127.0.0.1"
SUPER_DIGEST = "super:D/InIHSb7yEEbrWz8b9l71RjZJU="  # password "test"


def free_ports(n):
    """n distinct free TCP ports on loopback (bound simultaneously, then released)."""
    socks, ports = [], []
    try:
        while len(ports) < n:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((HOST, 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


def four_letter_word(port, cmd, timeout=5.0, host=HOST):
    """Send a 4-byte command on a fresh connection, read until the server closes."""
    assert len(cmd) == 4
    deadline = time.monotonic() + timeout
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(cmd.encode("ascii"))
        chunks = []
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("4lw %r: no EOF within %.1fs" % (cmd, timeout))
            s.settimeout(remaining)
            data = s.recv(65536)
            if not data:
                break
            chunks.append(data)
    return b"".join(chunks).decode("utf-8", "replace")


def parse_mntr(text):
    """`mntr` output as {key: value} (tab-separated lines)."""
    out = {}
    for line in text.splitlines():
        if "\t" in line:
            k, v = line.split("\t", 1)
            out[k] = v
    return out


def logs_tail(log_dir, lines, label="", names=("stdout.log", "zookeeper.log")):
    """The last `lines` lines of a member's stdout.log and zookeeper.log (or of `names`), for failure reports."""
    parts = []
    for name in names:
        p = os.path.join(log_dir, name)
        if os.path.exists(p):
            with open(p, "rb") as f:
                try:
                    f.seek(-200000, os.SEEK_END)
                except OSError:
                    f.seek(0)
                tail = f.read().decode("utf-8", "replace").splitlines()[-lines:]
            heading = "%s %s" % (label, p) if label else p
            parts.append("----- %s (last %d lines) -----\n%s" % (heading, len(tail), "\n".join(tail)))
    return "\n".join(parts)


def wait_until(pred, timeout=10.0, interval=0.05, msg="condition"):
    """Poll pred() until truthy; return its value or raise AssertionError at the deadline."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = pred()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1fs waiting for %s (last=%r)" % (timeout, msg, last))
        time.sleep(interval)


def find_java():
    if os.environ.get("ZK_JAVA"):
        return os.environ["ZK_JAVA"]
    jh = os.environ.get("JAVA_HOME")
    if jh and os.access(os.path.join(jh, "bin", "java"), os.X_OK):
        return os.path.join(jh, "bin", "java")
    j = shutil.which("java")
    if not j:
        raise RuntimeError("java not found (install default-jre-headless or set JAVA_HOME/ZK_JAVA)")
    return j


def detect_classpath():
    """Same search order as zk-ensemble.sh (ZK_CLASSPATH, ZOOKEEPER_HOME, ZK_JAR_DIR, Debian jar)."""
    if os.environ.get("ZK_CLASSPATH"):
        return os.environ["ZK_CLASSPATH"]
    home = os.environ.get("ZOOKEEPER_HOME")
    if home:
        jars = sorted(glob.glob(os.path.join(home, "lib", "*.jar")) + glob.glob(os.path.join(home, "*.jar")))
        return ":".join([os.path.join(home, "conf")] + jars)
    jar = None
    if os.environ.get("ZK_JAR_DIR"):
        jar = os.path.join(os.environ["ZK_JAR_DIR"], "zookeeper.jar")
    else:
        try:
            out = subprocess.run(["dpkg", "-L", "libzookeeper-java"], capture_output=True, text=True,
                                 timeout=20).stdout
            jar = next((l for l in out.splitlines() if l.endswith("/zookeeper.jar")), None)
        except (OSError, subprocess.TimeoutExpired):
            pass
    if not jar or not os.access(jar, os.R_OK):
        raise RuntimeError("zookeeper.jar not found: apt-get install zookeeper, or set ZK_CLASSPATH/ZOOKEEPER_HOME")
    d = os.path.dirname(jar)
    cp = [jar]
    # slf4j binding + log4j for logs; netty/servlet jars for the Netty factory and admin server:
    # none of them are in zookeeper.jar's manifest Class-Path.
    for extra in ("slf4j-log4j12.jar", "log4j-1.2.jar", "netty-codec.jar", "netty-resolver.jar",
                  "netty-transport-native-unix-common.jar", "servlet-api.jar"):
        if os.access(os.path.join(d, extra), os.R_OK):
            cp.append(os.path.join(d, extra))
    return ":".join(cp)


class TestTimeout(Exception):
    pass


def run_with_time_limit(item, default_seconds):
    """Body of a `pytest_runtest_call` hook wrapper: SIGALRM after the test's
    `@pytest.mark.timeout(N)` (or `default_seconds`). Use as `yield from run_with_time_limit(...)`."""
    m = item.get_closest_marker("timeout")
    seconds = m.args[0] if m else default_seconds

    def on_alarm(signum, frame):
        raise TestTimeout("test exceeded %ss" % seconds)

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
