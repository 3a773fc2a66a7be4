"""Start/stop one ZooKeeper-compatible server member for the compat suite.

Target selection:
  * PADDOCK_BIN set   -> ``$PADDOCK_BIN keeper --config <dir>/conf/zoo.cfg``
  * otherwise         -> Apache ZooKeeper (Debian ``zookeeper`` package) via java,
                         launched the same way as shared/bench/zk-ensemble.sh does.

Every wait polls with a deadline; nothing sleeps for a fixed "long enough" time.
Only the process this object started is ever signalled (by its pid).
"""

import os
import shutil
import signal
import socket
import subprocess
import time

SUPER_DIGEST = "super:D/InIHSb7yEEbrWz8b9l71RjZJU="  # password "test"
HOST = "127.0.0.1"

TICK_TIME_MS = 500
MIN_SESSION_TIMEOUT_MS = 1000  # 2 x tickTime (ZooKeeper's own default minimum)
MAX_SESSION_TIMEOUT_MS = 30000
CONTAINER_CHECK_INTERVAL_MS = 1000


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


def find_java():
    jh = os.environ.get("JAVA_HOME")
    if jh and os.access(os.path.join(jh, "bin", "java"), os.X_OK):
        return os.path.join(jh, "bin", "java")
    j = shutil.which("java")
    if not j:
        raise RuntimeError("java not found (install default-jre-headless or set JAVA_HOME)")
    return j


def detect_classpath():
    """Same search order as zk-ensemble.sh (ZK_CLASSPATH, ZOOKEEPER_HOME, Debian jar)."""
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
            out = subprocess.run(["dpkg", "-L", "libzookeeper-java"], capture_output=True, text=True, timeout=20).stdout
            for line in out.splitlines():
                if line.endswith("/zookeeper.jar"):
                    jar = line
                    break
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


class ServerMember:
    """One member of a one-member ensemble (server.1 only; srvr says Mode: leader)."""

    def __init__(self, base_dir, extra_cfg=None):
        self.base_dir = os.path.abspath(base_dir)
        self.conf_dir = os.path.join(self.base_dir, "conf")
        self.data_dir = os.path.join(self.base_dir, "data")
        self.log_dir = os.path.join(self.base_dir, "log")
        self.cfg_path = os.path.join(self.conf_dir, "zoo.cfg")
        self.client_port, self.quorum_port, self.election_port = free_ports(3)
        self.paddock_bin = os.environ.get("PADDOCK_BIN") or None
        self.extra_cfg = list(extra_cfg or [])
        self.proc = None
        self._stdout = None
        self.starts = 0
        os.makedirs(self.conf_dir, exist_ok=True)
        os.makedirs(self.data_dir, exist_ok=True)
        os.makedirs(self.log_dir, exist_ok=True)
        with open(os.path.join(self.data_dir, "myid"), "w") as f:
            f.write("1\n")
        self._write_config()

    # ------------------------------------------------------------------ config
    @property
    def target(self):
        return "paddock" if self.paddock_bin else "zookeeper"

    @property
    def hosts(self):
        return "%s:%d" % (HOST, self.client_port)

    def _write_config(self):
        lines = [
            "# generated by Tests/Compat/zkharness.py",
            "tickTime=%d" % TICK_TIME_MS,
            "initLimit=10",
            "syncLimit=5",
            "minSessionTimeout=%d" % MIN_SESSION_TIMEOUT_MS,
            "maxSessionTimeout=%d" % MAX_SESSION_TIMEOUT_MS,
            "dataDir=%s" % self.data_dir,
            "maxClientCnxns=0",
            "admin.enableServer=false",
            "4lw.commands.whitelist=*",
            "standaloneEnabled=false",
            # ZooKeeper turns unknown keys into zookeeper.<key> system properties;
            # Paddock reads them from zoo.cfg directly.
            "extendedTypesEnabled=true",
            "DigestAuthenticationProvider.superDigest=%s" % SUPER_DIGEST,
            # a real ZooKeeper key (ContainerManager reads system property
            # znode.container.checkIntervalMs); kept here for Paddock
            "znode.container.checkIntervalMs=%d" % CONTAINER_CHECK_INTERVAL_MS,
            "server.1=%s:%d:%d:participant;%s:%d" % (HOST, self.quorum_port, self.election_port, HOST, self.client_port),
        ] + self.extra_cfg
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
                "log4j.appender.ROLLINGFILE.layout.ConversionPattern=%%d{ISO8601} - %%-5p [%%t:%%C{1}@%%L] - %%m%%n\n"
                % self.log_dir
            )

    def _command(self):
        if self.paddock_bin:
            return [self.paddock_bin, "keeper", "--config", self.cfg_path]
        props = [
            "-Xms256m", "-Xmx256m",
            "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",  # faster JVM start on 2 shared cores
            "-Dfile.encoding=UTF-8",
            "-Djava.awt.headless=true",
            "-Dzookeeper.log.dir=%s" % self.log_dir,
            "-Dlog4j.configuration=file:%s/log4j.properties" % self.conf_dir,
            "-Dzookeeper.DigestAuthenticationProvider.superDigest=%s" % SUPER_DIGEST,
            "-Dzookeeper.extendedTypesEnabled=true",
            "-Dznode.container.checkIntervalMs=%d" % CONTAINER_CHECK_INTERVAL_MS,
        ]
        props += os.environ.get("ZK_JVM_OPTS", "").split()
        return [find_java()] + props + ["-cp", detect_classpath(),
                                        "org.apache.zookeeper.server.quorum.QuorumPeerMain", self.cfg_path]

    # --------------------------------------------------------------- lifecycle
    def start(self, timeout=60.0):
        """Launch (same dataDir, same ports) and wait until srvr says Mode: leader."""
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.starts += 1
        self._stdout = open(os.path.join(self.log_dir, "stdout.log"), "ab")
        self._stdout.write(("\n===== start #%d: %s =====\n" % (self.starts, " ".join(self._command()))).encode())
        self._stdout.flush()
        self.proc = subprocess.Popen(self._command(), stdout=self._stdout, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=self.base_dir)
        self.wait_leader(timeout)
        return self

    def wait_leader(self, timeout=60.0):
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited with %s while starting\n%s" % (self.proc.returncode, self.logs_tail()))
            try:
                last = self.fourlw("srvr", timeout=2.0)
                if "Mode: leader" in last:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError("no 'Mode: leader' within %.0fs; last srvr=%r\n%s" % (timeout, last, self.logs_tail()))

    def _wait_exit(self, timeout):
        try:
            self.proc.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    def _after_exit(self):
        if self._stdout:
            self._stdout.close()
            self._stdout = None
        self._wait_port_free(10.0)

    def _wait_port_free(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                socket.create_connection((HOST, self.client_port), timeout=0.5).close()
            except OSError:
                return
            time.sleep(0.05)

    def stop(self, timeout=20.0):
        """SIGTERM, wait for exit (SIGKILL after timeout)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        if not self._wait_exit(timeout):
            self.proc.kill()
            self._wait_exit(10)
        self._after_exit()

    def kill(self):
        """SIGKILL: no shutdown hooks, no flush beyond what the server already did."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.kill()
        self._wait_exit(10)
        self._after_exit()

    def restart(self, hard=False, timeout=60.0):
        self.kill() if hard else self.stop()
        return self.start(timeout)

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    # ------------------------------------------------------------------- query
    def fourlw(self, cmd, timeout=5.0):
        return four_letter_word(self.client_port, cmd, timeout)

    def mntr(self):
        out = {}
        for line in self.fourlw("mntr").splitlines():
            if "\t" in line:
                k, v = line.split("\t", 1)
                out[k] = v
        return out

    def logs_tail(self, lines=80):
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
                parts.append("----- %s (last %d lines) -----\n%s" % (p, len(tail), "\n".join(tail)))
        return "\n".join(parts)
