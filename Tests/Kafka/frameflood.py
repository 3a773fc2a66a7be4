"""Many connections that each declare a huge Kafka request frame and then send its body slowly,
never finishing it, while the broker's resident memory is sampled (Linux /proc).

Used by test_12_queued_request_bytes.py, and on its own to measure a running broker:

    python frameflood.py --port 9092 --pid $(pgrep -n -f 'paddock broker') \\
        [--connections 100] [--declared 104857600] [--per-connection 20971520] [--seconds 60]

prints one JSON object: bytes sent, the broker's RSS before and at its peak (KiB), and whether the
senders stalled (the broker stopped reading them)."""

import argparse
import json
import socket
import struct
import time

CHUNK = 64 * 1024


def rss_kib(pid):
    """VmRSS of `pid` in KiB (Linux)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS for pid %d" % pid)


class Flood:
    """`connections` sockets to host:port, each having sent the 4-byte size `declared` and then
    zeros; `pump()` sends more (round robin, non-blocking) until each has sent `per_connection`
    body bytes. Close with close()."""

    def __init__(self, host, port, connections=100, declared=104_857_600, per_connection=None):
        self.declared = declared
        self.per_connection = min(per_connection or declared - 1, declared - 1)  # never a whole frame
        self.sockets = []
        self.sent = []
        for _ in range(connections):
            s = socket.create_connection((host, port), timeout=10.0)
            s.sendall(struct.pack(">i", declared))
            s.setblocking(False)
            self.sockets.append(s)
            self.sent.append(0)
        self._zeros = bytes(CHUNK)

    @property
    def total_sent(self):
        return sum(self.sent)

    def pump(self):
        """One round over every socket; the number of body bytes the kernel accepted."""
        progress = 0
        for i, s in enumerate(self.sockets):
            want = min(CHUNK, self.per_connection - self.sent[i])
            if want <= 0:
                continue
            try:
                n = s.send(self._zeros[:want])
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                self.sent[i] = self.per_connection  # closed by the broker: nothing more to send there
                continue
            self.sent[i] += n
            progress += n
        return progress

    def done(self):
        return all(n >= self.per_connection for n in self.sent)

    def run(self, pid, seconds, stall_seconds=3.0, on_sample=None):
        """Pumps until every socket sent its share, nothing was accepted for `stall_seconds` (the
        broker stopped reading), or `seconds` passed, sampling the RSS of `pid` about every 0.2 s.
        Returns {"sent", "rss_peak_kib", "stalled", "seconds"}."""
        start = time.monotonic()
        deadline = start + seconds
        last_progress = start
        next_sample = start
        peak = rss_kib(pid)
        stalled = False
        while time.monotonic() < deadline and not self.done():
            now = time.monotonic()
            if self.pump():
                last_progress = now
            elif now - last_progress >= stall_seconds:
                stalled = True
                break
            else:
                time.sleep(0.005)
            if now >= next_sample:
                rss = rss_kib(pid)
                peak = max(peak, rss)
                if on_sample:
                    on_sample(rss)
                next_sample = now + 0.2
        peak = max(peak, rss_kib(pid))
        return {"sent": self.total_sent, "rss_peak_kib": peak, "stalled": stalled,
                "seconds": round(time.monotonic() - start, 1)}

    def close(self):
        for s in self.sockets:
            try:
                s.close()
            except OSError:
                pass
        self.sockets = []


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--pid", type=int, required=True, help="the broker's pid, for its RSS")
    p.add_argument("--connections", type=int, default=100)
    p.add_argument("--declared", type=int, default=104_857_600, help="the frame size each connection declares")
    p.add_argument("--per-connection", type=int, default=None, help="body bytes each connection sends at most")
    p.add_argument("--seconds", type=float, default=60.0)
    a = p.parse_args()
    before = rss_kib(a.pid)
    flood = Flood(a.host, a.port, a.connections, a.declared, a.per_connection)
    try:
        result = flood.run(a.pid, a.seconds)
    finally:
        flood.close()
    result["rss_before_kib"] = before
    result["connections"] = a.connections
    result["declared"] = a.declared
    print(json.dumps(result))


if __name__ == "__main__":
    main()
