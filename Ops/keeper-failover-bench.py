"""Leader-kill write gap (issue 12): writers set one znode in a loop on every member; the leader is
SIGKILLed after a steady spell; the gap is the time from the first failed write after the kill to
the first successful write after it, across all writers. Each writer that fails reconnects to the
next member (a new session) with a one-second timeout per request. Works against ZooKeeper 3.8 and
Paddock alike (zkbench's raw client).

usage: python3 Ops/keeper-failover-bench.py HOST:PORT,HOST:PORT,HOST:PORT ENSEMBLE_DIR
ENSEMBLE_DIR is zk-ensemble.sh's directory: member N's pid is in ENSEMBLE_DIR/zkN/zk.pid and it
serves hosts[N-1]. Prints one line: gap, per-writer worst outage, writes before and after."""
import asyncio, os, signal, sys, time
sys.path.insert(0, os.environ.get("BENCH_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "bench")))
import zkbench

WRITERS_PER_MEMBER = 3
STEADY_SECONDS = 3.0
DEADLINE_SECONDS = 30.0


def leader_index(hosts):
    for i, h in enumerate(hosts):
        try:
            if "Mode: leader" in zkbench.four_letter(h, "srvr"):
                return i
        except OSError:
            pass
    return None


async def writer(k, hosts, events, stop):
    member = k % len(hosts)
    session = None
    while not stop.is_set():
        try:
            began = time.monotonic()
            if session is None:
                session = await zkbench.raw_connect(hosts[member], timeout_ms=4000, connect_timeout=1.0)
            await asyncio.wait_for(session.set("/failover", b"x"), 1.0)
            events.append((time.monotonic(), k, True, began))
        except Exception:
            events.append((time.monotonic(), k, False, began))
            if session is not None:
                try:
                    session.transport.abort()
                except Exception:
                    pass
            session = None
            member = (member + 1) % len(hosts)
            await asyncio.sleep(0.01)
    if session is not None:
        session.transport.abort()


async def main(hosts, directory):
    setup = await zkbench.raw_connect(hosts[0])
    try:
        await setup.create("/failover", b"")
    except zkbench.ZKError:
        pass
    setup.transport.abort()
    lead = leader_index(hosts)
    if lead is None:
        sys.exit("no leader found")
    pid = int(open(os.path.join(directory, "zk%d" % (lead + 1), "zk.pid")).read().strip())
    events, stop = [], asyncio.Event()
    tasks = [asyncio.create_task(writer(k, hosts, events, stop)) for k in range(WRITERS_PER_MEMBER * len(hosts))]
    await asyncio.sleep(STEADY_SECONDS)
    killed = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    writers = len(tasks)
    # Until every writer that failed after the kill has written again (or the deadline).
    seen, failed, recovered = 0, set(), set()
    while time.monotonic() - killed < DEADLINE_SECONDS:
        await asyncio.sleep(0.1)
        for (t, k, ok, _) in events[seen:]:
            if t <= killed:
                continue
            if not ok:
                failed.add(k)
            elif k in failed:
                recovered.add(k)
        seen = len(events)
        if failed and recovered >= failed and time.monotonic() - killed > 2.0:
            break
    await asyncio.sleep(1.0)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    after = [(t, k, ok, began) for (t, k, ok, began) in events if t > killed]
    failures = [t for (t, k, ok, _) in after if not ok]
    if not failures:
        print("no write failed after the kill (leader was member %d)" % (lead + 1))
        return
    first_fail = min(failures)
    # A write counts as the recovery only if it was sent after the first failure (a reply to one
    # the old leader had committed may still arrive after another writer saw the failure).
    successes = [t for (t, k, ok, began) in after if ok and began > first_fail]
    gap = (min(successes) - first_fail) if successes else float("nan")
    worst = 0.0
    first_failure, back = {}, {}
    for (t, k, ok, began) in after:
        if not ok:
            first_failure.setdefault(k, t)
        elif k in first_failure and k not in back and began > first_failure[k]:
            back[k] = t
    for k, f in first_failure.items():
        worst = max(worst, back[k] - f if k in back else float("inf"))
    before = sum(1 for (t, k, ok, _) in events if ok and t <= killed)
    done_after = sum(1 for (t, k, ok, _) in after if ok)
    print("leader member %d killed: first failed write -> first success %.3f s; worst writer outage %.3f s; "
          "writes %d in %.0f s before, %d after (%d writers)" % (lead + 1, gap, worst, before, STEADY_SECONDS, done_after, writers),
          flush=True)


asyncio.run(main(sys.argv[1].split(","), sys.argv[2]))
