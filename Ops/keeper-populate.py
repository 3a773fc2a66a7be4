"""Creates N znodes of SIZE bytes under /pop/pNNN (1000 children each) with several pipelined
sessions (zkbench's raw client), then waits until every member has them (sync)."""
import asyncio, os, sys, time
sys.path.insert(0, os.environ.get("BENCH_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "bench")))
import zkbench

async def main(hosts, n, size, sessions=8, depth=64):
    data = b"v" * size
    s = await zkbench.raw_connect(hosts[0])
    await s.create("/pop", b"")
    parents = (n + 999) // 1000
    await zkbench.pipelined(s, lambda i: s.create("/pop/p%04d" % i, b""), range(parents), depth=depth)
    await s.close()
    t0 = time.monotonic()
    conns = [await zkbench.raw_connect(hosts[i % len(hosts)]) for i in range(sessions)]
    async def fill(k, c):
        idx = range(k, n, sessions)
        errs = await zkbench.pipelined(c, lambda i: c.create("/pop/p%04d/n%07d" % (i // 1000, i), data), idx, depth=depth)
        if errs: raise errs[0]
    await asyncio.gather(*(fill(k, c) for k, c in enumerate(conns)))
    for c in conns: await c.close()
    for h in hosts:
        t = await zkbench.raw_connect(h); await t.sync("/pop"); await t.close()
    print("created %d znodes of %d bytes in %.1f s" % (n, size, time.monotonic() - t0), flush=True)

hosts = sys.argv[1].split(",")
asyncio.run(main(hosts, int(sys.argv[2]), int(sys.argv[3])))
