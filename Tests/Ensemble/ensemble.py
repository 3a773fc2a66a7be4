"""Start/stop/kill/pause/wipe the members of a three-member keeper ensemble on loopback.

Target selection:
  * ENSEMBLE_TARGET=zookeeper -> Apache ZooKeeper 3.8 (Debian ``zookeeper`` package) via java,
                                 launched the way shared/bench/zk-ensemble.sh does
  * otherwise (default)       -> ``$PADDOCK_BIN keeper --config <member>/conf/zoo.cfg``

Every wait polls with a deadline; nothing sleeps for a fixed "long enough" time.
Only the processes this module started are ever signalled (by their pid).
"""

import os
import shutil
import signal
import socket
import subprocess
import time

from kazoo.client import KazooClient

HOST = "127.0.0.1"
TICK_TIME_MS = 500
MIN_SESSION_TIMEOUT_MS = 1000
MAX_SESSION_TIMEOUT_MS = 30000
SUPER_DIGEST = "super:D/InIHSb7yEEbrWz8b9l71RjZJU="  # password "test"
NOT_SERVING = "not currently serving requests"

# Fast kazoo reconnects: the default backoff grows towards a minute, far too slow for a
# failover measurement. Every host in the connect string is tried each round.
FAST_RECONNECT = dict(max_tries=-1, delay=0.05, backoff=1.5, max_delay=0.5, max_jitter=0.1)


def target():
    t = os.environ.get("ENSEMBLE_TARGET", "paddock").strip().lower()
    if t in ("zk", "zookeeper"):
        return "zookeeper"
    if t != "paddock":
        raise RuntimeError("ENSEMBLE_TARGET must be paddock or zookeeper, not %r" % t)
    return "paddock"


def paddock_bin():
    b = os.environ.get("PADDOCK_BIN")
    if not b:
        here = os.path.dirname(os.path.abspath(__file__))
        b = os.path.normpath(os.path.join(here, "..", "..", ".build", "debug", "paddock"))
    return b


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


def four_letter_word(port, cmd, timeout=3.0, host=HOST):
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
        import glob

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
    for extra in ("slf4j-log4j12.jar", "log4j-1.2.jar", "netty-codec.jar", "netty-resolver.jar",
                  "netty-transport-native-unix-common.jar", "servlet-api.jar"):
        if os.access(os.path.join(d, extra), os.R_OK):
            cp.append(os.path.join(d, extra))
    return ":".join(cp)


class Member:
    """One member (server.N) of the ensemble: its own conf/, data/ (with myid) and log/."""

    def __init__(self, ensemble, myid, base_dir, client_port, quorum_port, election_port):
        self.ensemble = ensemble
        self.myid = myid
        self.base_dir = base_dir
        self.conf_dir = os.path.join(base_dir, "conf")
        self.data_dir = os.path.join(base_dir, "data")
        self.log_dir = os.path.join(base_dir, "log")
        self.cfg_path = os.path.join(self.conf_dir, "zoo.cfg")
        self.client_port = client_port
        self.quorum_port = quorum_port
        self.election_port = election_port
        self.proc = None
        self._stdout = None
        self.starts = 0
        self.paused = False
        for d in (self.conf_dir, self.data_dir, self.log_dir):
            os.makedirs(d, exist_ok=True)
        self._write_myid()

    def __repr__(self):
        return "member%d(:%d)" % (self.myid, self.client_port)

    @property
    def name(self):
        return "member%d" % self.myid

    @property
    def hosts(self):
        """Connect string naming only this member."""
        return "%s:%d" % (HOST, self.client_port)

    def _write_myid(self):
        with open(os.path.join(self.data_dir, "myid"), "w") as f:
            f.write("%d\n" % self.myid)

    def write_config(self, server_lines):
        lines = [
            "# generated by Tests/Ensemble/ensemble.py",
            "tickTime=%d" % TICK_TIME_MS,
            "initLimit=10",
            "syncLimit=5",
            "minSessionTimeout=%d" % MIN_SESSION_TIMEOUT_MS,
            "maxSessionTimeout=%d" % MAX_SESSION_TIMEOUT_MS,
            "dataDir=%s" % self.data_dir,
            "maxClientCnxns=0",
            "admin.enableServer=false",
            "4lw.commands.whitelist=*",
            "reconfigEnabled=true",
            "standaloneEnabled=false",
            "DigestAuthenticationProvider.superDigest=%s" % SUPER_DIGEST,
        ] + server_lines
        with open(self.cfg_path, "w") as f:
            f.write("\n".join(lines) + "\n")
        with open(os.path.join(self.conf_dir, "log4j.properties"), "w") as f:
            f.write(
                "log4j.rootLogger=INFO, ROLLINGFILE\n"
                "log4j.appender.ROLLINGFILE=org.apache.log4j.RollingFileAppender\n"
                "log4j.appender.ROLLINGFILE.File=%s/zookeeper.log\n"
                "log4j.appender.ROLLINGFILE.MaxFileSize=20MB\n"
                "log4j.appender.ROLLINGFILE.MaxBackupIndex=1\n"
                "log4j.appender.ROLLINGFILE.layout=org.apache.log4j.PatternLayout\n"
                "log4j.appender.ROLLINGFILE.layout.ConversionPattern="
                "%%d{ISO8601} [myid:%%X{myid}] - %%-5p [%%t:%%C{1}@%%L] - %%m%%n\n" % self.log_dir
            )

    def _command(self):
        if self.ensemble.target == "paddock":
            return [paddock_bin(), "keeper", "--config", self.cfg_path]
        props = [
            "-Xms256m", "-Xmx256m",
            "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",  # faster JVM start on 2 shared cores
            "-Dfile.encoding=UTF-8",
            "-Djava.awt.headless=true",
            "-Dzookeeper.log.dir=%s" % self.log_dir,
            "-Dlog4j.configuration=file:%s/log4j.properties" % self.conf_dir,
            "-Dzookeeper.DigestAuthenticationProvider.superDigest=%s" % SUPER_DIGEST,
            # NOT -Dreadonlymode.enabled=true (zk-ensemble.sh sets it for kazoo's read-only
            # tests): Paddock has no read-only mode, and test 5 pins that a minority member
            # stops serving.
        ]
        props += os.environ.get("ZK_JVM_OPTS", "").split()
        return [find_java()] + props + ["-cp", detect_classpath(),
                                        "org.apache.zookeeper.server.quorum.QuorumPeerMain", self.cfg_path]

    # --------------------------------------------------------------- lifecycle
    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self):
        """Launch the process (same dataDir, same ports). Does not wait for a mode."""
        assert not self.running, "%s already running" % self
        cmd = self._command()
        last_err = None
        for _ in range(20):  # the binary may be in the middle of being replaced by a rebuild
            if self.ensemble.target == "paddock" and not os.access(cmd[0], os.X_OK):
                last_err = "%s not executable" % cmd[0]
                time.sleep(0.5)
                continue
            self.starts += 1
            self._stdout = open(os.path.join(self.log_dir, "stdout.log"), "ab")
            self._stdout.write(("\n===== %s start #%d at %s: %s =====\n" % (
                self.name, self.starts, time.strftime("%H:%M:%S"), " ".join(cmd))).encode())
            self._stdout.flush()
            try:
                self.proc = subprocess.Popen(cmd, stdout=self._stdout, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL, cwd=self.base_dir)
            except OSError as e:  # ETXTBSY / ENOENT while the file is being replaced
                last_err = e
                self._stdout.close()
                self._stdout = None
                time.sleep(0.5)
                continue
            self.paused = False
            return self
        raise RuntimeError("could not launch %s: %s" % (self, last_err))

    def _wait_exit(self, timeout):
        try:
            self.proc.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    def _after_exit(self):
        self.paused = False
        if self._stdout:
            self._stdout.close()
            self._stdout = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # client port released
            try:
                socket.create_connection((HOST, self.client_port), timeout=0.5).close()
            except OSError:
                return
            time.sleep(0.05)

    def stop(self, timeout=20.0):
        """SIGTERM and wait for the exit (SIGKILL after timeout)."""
        if not self.running:
            return
        if self.paused:
            self.resume()
        self.proc.send_signal(signal.SIGTERM)
        if not self._wait_exit(timeout):
            self.proc.kill()
            self._wait_exit(10)
        self._after_exit()

    def kill(self):
        """SIGKILL: no shutdown hooks, no flush beyond what the member already did."""
        if not self.running:
            return
        self.proc.kill()
        self._wait_exit(10)
        self._after_exit()

    def pause(self):
        assert self.running
        self.proc.send_signal(signal.SIGSTOP)
        self.paused = True

    def resume(self):
        if self.running:
            self.proc.send_signal(signal.SIGCONT)
        self.paused = False

    def wipe(self):
        """Delete everything in dataDir except myid (member must be down)."""
        assert not self.running, "wipe a running member"
        for entry in os.listdir(self.data_dir):
            if entry == "myid":
                continue
            p = os.path.join(self.data_dir, entry)
            if os.path.isdir(p) and not os.path.islink(p):
                shutil.rmtree(p)
            else:
                os.unlink(p)
        self._write_myid()

    def restart(self, hard=False):
        self.kill() if hard else self.stop()
        return self.start()

    # ------------------------------------------------------------------- query
    def fourlw(self, cmd, timeout=3.0):
        return four_letter_word(self.client_port, cmd, timeout)

    def srvr(self):
        """srvr text, or '' when the member does not answer."""
        if not self.running or self.paused:
            return ""
        try:
            return self.fourlw("srvr")
        except (OSError, TimeoutError):
            return ""

    def mode(self):
        """'leader' / 'follower' / None (down, paused, not serving)."""
        for line in self.srvr().splitlines():
            if line.startswith("Mode: "):
                return line[len("Mode: "):].strip()
        return None

    def mntr(self):
        out = {}
        try:
            text = self.fourlw("mntr") if self.running and not self.paused else ""
        except (OSError, TimeoutError):
            text = ""
        for line in text.splitlines():
            if "\t" in line:
                k, v = line.split("\t", 1)
                out[k] = v
        return out

    def zxid(self):
        for line in self.srvr().splitlines():
            if line.startswith("Zxid: "):
                return int(line[len("Zxid: "):].strip(), 16)
        return None

    def logs_tail(self, lines=60):
        parts = []
        for name in ("stdout.log", "zookeeper.log"):
            p = os.path.join(self.log_dir, name)
            if os.path.exists(p):
                with open(p, "rb") as f:
                    try:
                        f.seek(-200000, os.SEEK_END)
                    except OSError:
                        f.seek(0)
                    tail = f.read().decode("utf-8", "replace").splitlines()[-lines:]
                parts.append("----- %s %s (last %d lines) -----\n%s" % (self.name, p, len(tail), "\n".join(tail)))
        return "\n".join(parts)


class Ensemble:
    def __init__(self, base_dir, size=3):
        self.target = target()
        self.base_dir = os.path.abspath(base_dir)
        ports = free_ports(3 * size)
        self.members = []
        for i in range(size):
            myid = i + 1
            self.members.append(Member(self, myid, os.path.join(self.base_dir, "member%d" % myid),
                                       ports[3 * i], ports[3 * i + 1], ports[3 * i + 2]))
        server_lines = ["server.%d=%s:%d:%d:participant;%s:%d" % (
            m.myid, HOST, m.quorum_port, m.election_port, HOST, m.client_port) for m in self.members]
        for m in self.members:
            m.write_config(server_lines)
        self._clients = []

    def __getitem__(self, i):
        return self.members[i]

    def __iter__(self):
        return iter(self.members)

    def __len__(self):
        return len(self.members)

    @property
    def hosts(self):
        return ",".join(m.hosts for m in self.members)

    def hosts_of(self, members):
        return ",".join(m.hosts for m in members)

    # --------------------------------------------------------------- lifecycle
    def start(self, timeout=None):
        for m in reversed(self.members):  # like zk-ensemble.sh
            if not m.running:
                m.start()
        return self.wait_quorum(timeout=timeout)

    def stop(self):
        for m in self.members:
            m.stop()

    def kill_all(self):
        for m in self.members:
            if m.running:
                if m.paused:
                    m.resume()
                m.kill()

    # ------------------------------------------------------------------- modes
    def modes(self):
        return {m.myid: m.mode() for m in self.members}

    def _check_alive(self, members):
        for m in members:
            if m.proc is not None and m.proc.poll() is not None and m.starts:
                raise RuntimeError("%s exited with %s\n%s" % (m, m.proc.returncode, m.logs_tail()))

    def wait_quorum(self, members=None, timeout=None):
        """Wait until (among `members`, default all) one says leader and all others follower.
        Returns the leader Member."""
        members = list(members or self.members)
        if timeout is None:
            timeout = 90.0 if self.target == "zookeeper" else 30.0
        deadline = time.monotonic() + timeout
        modes = {}
        while time.monotonic() < deadline:
            self._check_alive(members)
            modes = {m.myid: m.mode() for m in members}
            leaders = [m for m in members if modes[m.myid] == "leader"]
            followers = [m for m in members if modes[m.myid] == "follower"]
            if len(leaders) == 1 and len(followers) == len(members) - 1:
                return leaders[0]
            time.sleep(0.1)
        raise AssertionError("no 1 leader + %d followers within %.0fs; modes=%r" % (
            len(members) - 1, timeout, modes))

    def leader(self, timeout=None):
        return self.wait_quorum(timeout=timeout)

    def find_leader(self, members=None):
        """The one member that says leader right now, or None."""
        leaders = [m for m in (members or self.members) if m.mode() == "leader"]
        return leaders[0] if len(leaders) == 1 else None

    def followers(self):
        leader = self.wait_quorum()
        return [m for m in self.members if m is not leader]

    # ----------------------------------------------------------------- clients
    def client(self, members=None, hosts=None, start=True, timeout=15.0, **kw):
        """A kazoo client; hosts default to every member. Stopped by close_clients()."""
        if hosts is None:
            hosts = self.hosts_of(members) if members is not None else self.hosts
        kw.setdefault("connection_retry", dict(FAST_RECONNECT))
        c = KazooClient(hosts=hosts, timeout=timeout, **kw)
        self._clients.append(c)
        if start:
            c.start(timeout=30)
        return c

    def close_clients(self):
        for c in self._clients:
            try:
                c.stop()
            except Exception:
                pass
            try:
                c.close()
            except Exception:
                pass
        self._clients = []

    def dump(self, member, timeout=30.0):
        return dump(member, timeout=timeout)

    def dumps(self, members=None):
        return {m.myid: dump(m) for m in (members or self.members)}

    def wait_identical_dumps(self, members=None, timeout=30.0, reference=None):
        """Poll until every member's dump is identical (and equals `reference` when given).
        Returns the common dump."""
        members = list(members or self.members)
        deadline = time.monotonic() + timeout
        last = None
        while True:
            try:
                ds = {m.myid: dump(m, timeout=max(5.0, deadline - time.monotonic())) for m in members}
                vals = list(ds.values())
                if all(v == vals[0] for v in vals) and (reference is None or vals[0] == reference):
                    return vals[0]
                last = ds
            except Exception as e:  # member not serving yet, connection refused, ...
                last = e
            if time.monotonic() >= deadline:
                if isinstance(last, dict):
                    raise AssertionError("dumps differ after %.0fs:\n%s" % (
                        timeout, describe_diff(last, reference)))
                raise AssertionError("could not dump all members within %.0fs: %r" % (timeout, last))
            time.sleep(0.2)

    def logs_tail(self, lines=60):
        return "\n".join(m.logs_tail(lines) for m in self.members)


def dump(member, timeout=30.0):
    """Connect a kazoo client to ONLY `member`, sync('/'), and walk the whole tree.

    Returns {path: (data, czxid, mzxid, version, cversion, aversion, ephemeralOwner,
    numChildren)}; /zookeeper and everything under it is skipped."""
    c = KazooClient(hosts=member.hosts, timeout=10.0,
                    connection_retry=dict(max_tries=-1, delay=0.05, backoff=1.5, max_delay=0.5),
                    command_retry=dict(max_tries=0))
    c.start(timeout=timeout)
    try:
        c.sync("/")
        out = {}
        level = ["/"]
        while level:
            gets = [(p, c.get_async(p), c.get_children_async(p)) for p in level]
            nxt = []
            for p, g, ch in gets:
                data, st = g.get(timeout=timeout)
                children = ch.get(timeout=timeout)
                out[p] = (data, st.czxid, st.mzxid, st.version, st.cversion, st.aversion,
                          st.ephemeralOwner, st.numChildren)
                for name in sorted(children):
                    child = (p.rstrip("/") + "/" + name)
                    if child == "/zookeeper":
                        continue
                    nxt.append(child)
            level = nxt
        return out
    finally:
        try:
            c.stop()
            c.close()
        except Exception:
            pass


def describe_diff(dumps, reference=None):
    """Human-readable difference between {name: dump} (and an optional reference)."""
    items = list(dumps.items())
    if reference is not None:
        items = [("reference", reference)] + items
    base_name, base = items[0]
    lines = []
    for name, d in items[1:]:
        only_base = sorted(set(base) - set(d))
        only_d = sorted(set(d) - set(base))
        changed = sorted(p for p in set(base) & set(d) if base[p] != d[p])
        lines.append("%s vs %s: %d nodes vs %d; only in %s: %d %s; only in %s: %d %s; differing: %d %s" % (
            base_name, name, len(base), len(d), base_name, len(only_base), only_base[:5], name,
            len(only_d), only_d[:5], len(changed), [(p, base[p], d[p]) for p in changed[:3]]))
    return "\n".join(lines)
