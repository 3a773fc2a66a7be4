"""Writer threads that record which writes were acknowledged, and checks against dumps.

An operation that raised ConnectionLoss (or timed out, or hit a session expiry) may or may not
have been applied: it is recorded as *unknown*. Only acknowledged operations are required to be
present afterwards; an unknown one may be present, but only with the data that op carried.
"""

import threading
import time

from kazoo.exceptions import ConnectionLoss, KazooException, SessionExpiredError
from kazoo.handlers.threading import KazooTimeoutError

OP_TIMEOUT = 20.0  # a kazoo call never blocks a writer longer than this


class Writer(threading.Thread):
    """Alternates a sequential create under `base` and a setData on `base`/counter."""

    def __init__(self, client, base, name):
        super().__init__(daemon=True, name=name)
        self.client = client
        self.base = base
        self.counter = base + "/counter"
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.acked_creates = {}   # path -> data
        self.acked_sets = []      # (version, data) in ack order
        self.unknown_creates = []  # data
        self.unknown_sets = []     # data
        self.errors = []           # (time, repr) of every failed op
        self.unexpected = []       # exceptions that are not connection trouble
        self.acks = 0
        self.last_ack = None

    def setup(self):
        self.client.ensure_path(self.base)
        self.client.create(self.counter, b"init")

    def stop(self, timeout=30.0):
        self.stop_event.set()
        self.join(timeout)
        assert not self.is_alive(), "%s did not stop" % self.name

    def _wait_connected(self, seconds=15.0):
        deadline = time.monotonic() + seconds
        while not self.client.connected and time.monotonic() < deadline and not self.stop_event.is_set():
            time.sleep(0.02)

    def run(self):
        i = 0
        while not self.stop_event.is_set():
            i += 1
            data = b"%s-%d" % (self.name.encode(), i)
            is_create = i % 2 == 1
            try:
                if is_create:
                    path = self.client.create_async(self.base + "/n-", data, sequence=True).get(timeout=OP_TIMEOUT)
                    with self.lock:
                        self.acked_creates[path] = data
                else:
                    st = self.client.set_async(self.counter, data).get(timeout=OP_TIMEOUT)
                    with self.lock:
                        self.acked_sets.append((st.version, data))
                with self.lock:
                    self.acks += 1
                    self.last_ack = time.monotonic()
            except (ConnectionLoss, SessionExpiredError, KazooTimeoutError) as e:
                with self.lock:
                    (self.unknown_creates if is_create else self.unknown_sets).append(data)
                    self.errors.append((time.monotonic(), repr(e)))
                self._wait_connected()
            except KazooException as e:  # e.g. ConnectionClosedError at shutdown
                with self.lock:
                    (self.unknown_creates if is_create else self.unknown_sets).append(data)
                    self.unexpected.append(repr(e))
                if self.stop_event.is_set():
                    return
                time.sleep(0.05)

    def check(self, dump, where=""):
        """Every acknowledged write is in `dump` (a member's tree) with the right data and version;
        nothing else under `base` except the unknown ops' data."""
        problems = []
        base_prefix = self.base + "/"
        children = {p: v for p, v in dump.items() if p.startswith(base_prefix) and "/" not in p[len(base_prefix):]}
        # creates
        for path, data in self.acked_creates.items():
            node = dump.get(path)
            if node is None:
                problems.append("acknowledged create %s missing" % path)
            elif node[0] != data or node[3] != 0:
                problems.append("%s: data/version %r/%d, expected %r/0" % (path, node[0], node[3], data))
        unknown = list(self.unknown_creates)
        for path, node in children.items():
            if path == self.counter or path in self.acked_creates:
                continue
            if node[0] in unknown:
                unknown.remove(node[0])  # an unacknowledged create that did apply (once)
            else:
                problems.append("unexpected node %s data %r" % (path, node[0]))
        # sets: versions are 1, 2, 3, ... in ack order (acked and applied-unknown interleave)
        versions = [v for v, _ in self.acked_sets]
        if versions != sorted(versions) or len(set(versions)) != len(versions):
            problems.append("acknowledged set versions not strictly increasing: %r" % versions[:20])
        node = dump.get(self.counter)
        if node is None:
            problems.append("%s missing" % self.counter)
        elif self.acked_sets:
            last_v, last_data = self.acked_sets[-1]
            applied_unknown_max = len(self.unknown_sets)
            if node[3] < last_v:
                problems.append("%s version %d < last acknowledged %d" % (self.counter, node[3], last_v))
            elif node[3] == last_v and node[0] != last_data:
                problems.append("%s version %d data %r, acknowledged %r" % (self.counter, node[3], node[0], last_data))
            elif node[3] > last_v and (node[0] not in self.unknown_sets or node[3] - last_v > applied_unknown_max):
                problems.append("%s version %d data %r beyond last ack %d without a matching unknown set" % (
                    self.counter, node[3], node[0], last_v))
            # the version count is exact: acknowledged sets + applied unknown ones
            if node[3] > len(self.acked_sets) + len(self.unknown_sets):
                problems.append("%s version %d > number of set attempts %d" % (
                    self.counter, node[3], len(self.acked_sets) + len(self.unknown_sets)))
            if node[3] < len(self.acked_sets):
                problems.append("%s version %d < number of acknowledged sets %d" % (
                    self.counter, node[3], len(self.acked_sets)))
        return ["%s%s: %s" % (where, self.name, p) for p in problems]

    def summary(self):
        return "%s: %d acked creates, %d acked sets, %d unknown creates, %d unknown sets" % (
            self.name, len(self.acked_creates), len(self.acked_sets), len(self.unknown_creates),
            len(self.unknown_sets))


def check_all(writers, dumps):
    """dumps: {member name/id: dump}. Returns a list of problems (empty = all good)."""
    problems = []
    for name, d in dumps.items():
        for w in writers:
            problems += w.check(d, where="member%s " % name)
    return problems


def bulk_create(client, base, n, prefix="n", batch=50, data_fmt=b"%s-%d", tag=b"v"):
    """Create base/<prefix>-0000 .. n-1 (pipelined, `batch` in flight) and return {path: data}.
    Every create must be acknowledged (no faults are injected while this runs)."""
    client.ensure_path(base)
    out = {}
    for start in range(0, n, batch):
        pend = []
        for i in range(start, min(n, start + batch)):
            path = "%s/%s-%04d" % (base, prefix, i)
            data = data_fmt % (tag, i)
            pend.append((path, data, client.create_async(path, data)))
        for path, data, a in pend:
            assert a.get(timeout=OP_TIMEOUT) == path
            out[path] = data
    return out


def check_present(expected, dump, version=0):
    """expected: {path: data}. Returns problems for paths missing or with other data/version."""
    problems = []
    for path, data in sorted(expected.items()):
        node = dump.get(path)
        if node is None:
            problems.append("missing %s" % path)
        elif node[0] != data or (version is not None and node[3] != version):
            problems.append("%s: %r v%d, expected %r v%s" % (path, node[0], node[3], data, version))
    return problems
