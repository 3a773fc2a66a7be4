"""`zookeeper.set.acl=true` (Kafka's secure ZooKeeper mode, `ZkData.defaultAcls`): the brokers
authenticate to the keeper with one shared digest credential (`paddock.zookeeper.digest.user` and
`.password.file`) and create every znode with creator-ALL + world-READ (creator-only for
`/config/brokers` and `/config/users`). An unauthenticated kazoo client can read broker znodes but
gets NoAuth when it writes them; the cluster still serves kcat; a new controller rewrites partition
states the old one created (the brokers share one identity); `paddock topics` needs the credential.

That a bad payload in a world-writable znode (ACLs off) only makes that record unusable is
test_10_hostile_storage.py's `test_bad_broker_registration_is_skipped_and_every_broker_serves`."""

import json
import os
import secrets

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import NoAuthError
from kazoo.security import READ_ACL_UNSAFE, make_digest_acl

from kafkacluster import unique

USER = "kafka"
READ, ALL = 1, 31


@pytest.fixture
def secure(cluster_factory, tmp_path):
    password_file = tmp_path / "zookeeper-digest.password"
    password = secrets.token_hex(16)
    password_file.write_text(password + "\n")
    os.chmod(password_file, 0o600)
    c = cluster_factory("secure", extra_config=[
        "zookeeper.set.acl=true",
        "paddock.zookeeper.digest.user=%s" % USER,
        "paddock.zookeeper.digest.password.file=%s" % password_file,
    ])
    c.password = password
    c.password_file = str(password_file)
    return c


def _authenticated(c):
    zk = KazooClient(hosts=c.zookeeper_connect, timeout=15.0, auth_data=[("digest", "%s:%s" % (USER, c.password))])
    zk.start(timeout=30)
    return zk


def _acl(zk, path):
    """[(perms, scheme, id)] of `path`; digests read without ADMIN are masked (`kafka:x`)."""
    acls, _ = zk.get_acls(path)
    return sorted((a.perms, a.id.scheme, a.id.id) for a in acls)


@pytest.mark.timeout(120)
def test_unauthenticated_client_reads_broker_znodes_but_cannot_change_them(secure):
    c = secure
    zk = c.zk  # no credential
    registration = json.loads(zk.get("/brokers/ids/1")[0].decode())
    assert registration["port"] == c.broker(1).port
    assert _acl(zk, "/brokers/ids/1") == [(READ, "world", "anyone"), (ALL, "digest", "%s:x" % USER)]

    with pytest.raises(NoAuthError):
        zk.set("/brokers/ids/1", b'{"version":5,"host":"evil","port":1,"endpoints":["PLAINTEXT://evil:1"]}')
    with pytest.raises(NoAuthError):
        zk.delete("/brokers/ids/1")
    with pytest.raises(NoAuthError):
        zk.create("/brokers/ids/99",
                  b'{"version":5,"host":"127.0.0.1","port":1,"endpoints":["PLAINTEXT://127.0.0.1:1"]}', ephemeral=True)
    with pytest.raises(NoAuthError):
        zk.set("/controller_epoch", b"999")
    with pytest.raises(NoAuthError):
        zk.create("/brokers/topics/planted", b'{"version":3,"partitions":{"0":[1]}}')
    with pytest.raises(NoAuthError):
        zk.create("/admin/delete_topics/anything")
    assert c.registered_ids() == [1, 2, 3]
    assert zk.exists("/brokers/ids/99") is None

    # ZooKeeper checks DELETE on the parent: while "/" is open (no chroot, as here), anyone could delete
    # /controller or /controller_epoch. The brokers say so; an operator secures the root as Kafka's
    # zookeeper-security-migration does (or uses a chroot, which the brokers create with the secure ACL).
    c.wait(lambda: all("root of the cluster's znodes is world-writable" in b.logs_tail(200) for b in c.brokers), 30,
           "every broker to warn about the open root")
    authed = _authenticated(c)
    try:
        authed.set_acls("/", [make_digest_acl(USER, c.password, all=True), READ_ACL_UNSAFE[0]])
    finally:
        authed.stop()
        authed.close()
    for path in ("/controller", "/controller_epoch"):
        with pytest.raises(NoAuthError):
            zk.delete(path)
    with pytest.raises(NoAuthError):
        zk.create("/controller", b'{"version":2,"brokerid":99,"timestamp":"0"}', ephemeral=True)

    # Sensitive paths are not even readable; /consumers stays open as in Kafka.
    with pytest.raises(NoAuthError):
        zk.get_children("/config/brokers")
    assert _acl(zk, "/consumers") == [(ALL, "world", "anyone")]
    zk.create("/consumers/probe")
    zk.delete("/consumers/probe")


@pytest.mark.timeout(180)
def test_cluster_serves_and_brokers_share_one_identity(secure):
    c = secure
    c.wait_listening()
    zk = c.zk

    # Auto-creation through a broker: topic znode by the broker, partition states by the controller.
    topic = unique("acl-auto")
    lines = ["acl %d" % i for i in range(30)]
    c.kcat(["-P", "-t", topic], input=("\n".join(lines) + "\n").encode())
    c.wait_leaders(topic, 3)
    out = c.kcat(["-C", "-t", topic, "-o", "beginning", "-e", "-J", "-q"]).stdout
    assert sorted(json.loads(line)["payload"] for line in out.splitlines()) == sorted(lines)
    state_path = "/brokers/topics/%s/partitions/0/state" % topic
    for path in ("/brokers/topics/%s" % topic, "/config/topics/%s" % topic, state_path, "/controller"):
        assert _acl(zk, path) == [(READ, "world", "anyone"), (ALL, "digest", "%s:x" % USER)], path
    with pytest.raises(NoAuthError):
        zk.set(state_path, b'{"version":1,"leader":-1,"leader_epoch":99,"controller_epoch":99,"isr":[]}')

    # paddock topics without the credential is refused; with it, it works.
    status, out = c.topics("create", "--topic", unique("acl-cli"), "--replica-assignment", "1", check=False)
    assert status == 1 and "NOAUTH" in out, out
    credential = ["--zookeeper-digest-user", USER, "--zookeeper-digest-password-file", c.password_file]
    old = c.controller()
    other = next(b.id for b in c.brokers if b.id != old)
    shared = unique("acl-shared")
    c.topics("create", "--topic", shared, "--replica-assignment", "%d:%d" % (old, other), *credential)
    states = c.wait_leaders(shared, 1)
    assert states[0]["leader"] == old and states[0]["isr"] == [old, other], states

    # The controller dies; its successor (another broker, same identity) rewrites the state znode the
    # old controller created: the in-sync replica `other` leads under the new controller epoch, and
    # the old controller returns as an ordinary broker and rejoins the ISR (the leader's write).
    epoch = c.controller_epoch()
    c.broker(old).kill()
    new = c.wait_controller(other_than=old, epoch_above=epoch, timeout=c.session_timeout_ms / 1000 + 30)
    state = c.wait(lambda: (lambda s: s if s["leader"] == other else None)(c.partition_state(shared, 0)), 30,
                   "%s to move to broker %d after the controller died" % (shared, other))
    assert state["isr"] == [other] and state["controller_epoch"] > epoch, state
    c.broker(old).start()
    c.wait(lambda: sorted(c.partition_state(shared, 0)["isr"]) == sorted([old, other]), 60,
           "broker %d back in the ISR of %s" % (old, shared))
    c.wait_listening()
    c.wait_metadata_leaders(shared, 1)
    c.kcat(["-P", "-t", shared, "-p", "0", "-X", "acks=all"], input=b"after failover\n")
    out = c.kcat(["-C", "-t", shared, "-p", "0", "-o", "beginning", "-e", "-q"]).stdout
    assert out.decode().split() == ["after", "failover"]
    assert new != old

    # A client with the cluster's credential may change what the brokers created.
    authed = _authenticated(c)
    try:
        authed.create("/isr_change_notification/probe")
        authed.delete("/isr_change_notification/probe")
        assert authed.get_children("/config/brokers") is not None
    finally:
        authed.stop()
        authed.close()
