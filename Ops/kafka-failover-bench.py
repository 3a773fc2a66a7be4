#!/usr/bin/env python3
"""Controller failover time of a running Paddock (or Kafka ZooKeeper-mode) cluster.

Creates a topic of N partitions with replication factor 3 (through the ensemble, as
`kafka-topics --zookeeper` does: the assignment znode), waits until every partition has a leader
and a full ISR, then SIGKILLs the active controller (a pid from the --pids map) and measures, from
the kill: the new controller's election (`/controller`), and the moment every partition the dead
broker led has a live new leader in its state znode. The broker session timeout is part of it.

usage: kafka-failover-bench.py --zookeeper HOST:PORT --partitions N --pids 1=PID,2=PID,3=PID
       [--digest-user kafka --digest-password-file F] [--topic NAME]
"""
import argparse
import json
import os
import signal
import sys
import time
import uuid

from kazoo.client import KazooClient


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--zookeeper", required=True)
    p.add_argument("--partitions", type=int, required=True)
    p.add_argument("--pids", required=True, help="broker id=pid,...")
    p.add_argument("--topic", default="failover-%s" % uuid.uuid4().hex[:6])
    p.add_argument("--digest-user")
    p.add_argument("--digest-password-file")
    p.add_argument("--timeout", type=float, default=600)
    a = p.parse_args()
    pids = {int(k): int(v) for k, v in (kv.split("=") for kv in a.pids.split(","))}
    auth = None
    if a.digest_user:
        auth = [("digest", "%s:%s" % (a.digest_user, open(a.digest_password_file).read().strip()))]
    zk = KazooClient(hosts=a.zookeeper, auth_data=auth, timeout=30)
    zk.start()
    brokers = sorted(pids)
    assignment = {str(i): [brokers[(i + k) % len(brokers)] for k in range(3)] for i in range(a.partitions)}
    acl = None
    if auth:
        from kazoo.security import ACL, Id, Permissions
        acl = [ACL(Permissions.READ, Id("world", "anyone")),
               ACL(Permissions.ALL, Id("digest", "%s:%s" % (a.digest_user, _digest(a.digest_user, open(a.digest_password_file).read().strip()))))]
    t0 = time.time()
    zk.create("/brokers/topics/%s" % a.topic,
              json.dumps({"version": 2, "partitions": assignment, "adding_replicas": {}, "removing_replicas": {}}).encode(),
              acl=acl)

    def states():
        out = {}
        for i in range(a.partitions):
            try:
                data, _ = zk.get("/brokers/topics/%s/partitions/%d/state" % (a.topic, i))
                out[i] = json.loads(data)
            except Exception:
                return None
        return out

    deadline = time.time() + a.timeout
    while True:
        s = states()
        if s and all(len(v["isr"]) == 3 and v["leader"] >= 0 for v in s.values()):
            break
        if time.time() > deadline:
            sys.exit("topic never got leaders and full ISRs")
        time.sleep(0.2)
    created = time.time() - t0
    controller = json.loads(zk.get("/controller")[0])["brokerid"]
    led = [i for i, v in s.items() if v["leader"] == controller]
    print("topic %s: %d partitions led with full ISRs after %.1f s; controller %d leads %d" % (
        a.topic, a.partitions, created, controller, len(led)))
    t_kill = time.time()
    os.kill(pids[controller], signal.SIGKILL)
    new_controller_at = None
    while True:
        now = time.time()
        if new_controller_at is None:
            try:
                c = json.loads(zk.get("/controller")[0])["brokerid"]
                if c != controller:
                    new_controller_at = now - t_kill
            except Exception:
                pass
        moved = 0
        for i in led:
            v = json.loads(zk.get("/brokers/topics/%s/partitions/%d/state" % (a.topic, i))[0])
            if v["leader"] not in (-1, controller):
                moved += 1
        if new_controller_at is not None and moved == len(led):
            break
        if now > t_kill + a.timeout:
            sys.exit("after %.0f s: new controller %s, %d of %d moved" % (now - t_kill, new_controller_at, moved, len(led)))
        time.sleep(0.05)
    done = time.time() - t_kill
    print(json.dumps({"partitions": a.partitions, "moved": len(led), "new_controller_s": round(new_controller_at, 2),
                      "all_moved_s": round(done, 2)}))
    zk.stop()


def _digest(user, password):
    import base64
    import hashlib
    return base64.b64encode(hashlib.sha1(("%s:%s" % (user, password)).encode()).digest()).decode()


if __name__ == "__main__":
    main()
