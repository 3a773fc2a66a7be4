"""ACLs: digest, auth (CREATOR_ALL_ACL), world, super, aversion."""

import os
import pytest
from kazoo.exceptions import BadVersionError, InvalidACLError, NoAuthError
from kazoo.security import (ACL, CREATOR_ALL_ACL, OPEN_ACL_UNSAFE, READ_ACL_UNSAFE, Id, Permissions,
                            make_digest_acl, make_digest_acl_credential)

import rawzk

USER1_DIGEST = "user1:UwFvtt99nn7zVDmU1KK5F5q3Zg4="  # base64(sha1("user1:pw"))


def test_digest_helper_matches_server_digest():
    assert make_digest_acl_credential("user1", "pw") == USER1_DIGEST


def test_digest_acl_denies_and_allows(server, make_client, zk, root):
    p = root + "/secret"
    zk.create(p, b"s3cret", acl=[make_digest_acl("user1", "pw", all=True)])
    anon = make_client(server)
    with pytest.raises(NoAuthError):
        anon.get(p)
    with pytest.raises(NoAuthError):
        anon.set(p, b"x")
    with pytest.raises(NoAuthError):
        anon.create(p + "/child")
    with pytest.raises(NoAuthError):
        anon.get_acls(p)
    with pytest.raises(NoAuthError):
        anon.get_children(p)
    # ZooKeeper 3.8.0 does not ACL-check exists; 3.8.4+/3.9.2+ and Paddock,
    # which implements the 3.9 protocol level, require READ on an existing node.
    if os.environ.get("PADDOCK_BIN"):
        with pytest.raises(NoAuthError):
            anon.exists(p)
    else:
        assert anon.exists(p).dataLength == 6

    wrong = make_client(server, auth_data=[("digest", "user1:wrong")])
    with pytest.raises(NoAuthError):
        wrong.get(p)

    user1 = make_client(server, auth_data=[("digest", "user1:pw")])
    assert user1.get(p)[0] == b"s3cret"
    assert user1.set(p, b"new").version == 1
    acls, st = user1.get_acls(p)
    assert acls == [ACL(Permissions.ALL, Id("digest", USER1_DIGEST))]
    assert (st.aversion, st.version) == (0, 1)

    # add_auth on a live session
    anon.add_auth("digest", "user1:pw")
    assert anon.get(p)[0] == b"new"


def test_delete_needs_delete_on_parent(server, make_client, zk, root):
    parent = root + "/locked-parent"
    zk.create(parent, acl=[make_digest_acl("user1", "pw", all=True)])
    user1 = make_client(server, auth_data=[("digest", "user1:pw")])
    user1.create(parent + "/child", acl=OPEN_ACL_UNSAFE)
    anon = make_client(server)
    assert anon.get(parent + "/child")[0] == b""
    with pytest.raises(NoAuthError):
        anon.delete(parent + "/child")  # DELETE is checked on the parent
    # a node whose own ACL denies everything can still be deleted via an open parent
    zk.create(root + "/no-perms", acl=[make_digest_acl("nobody", "x", read=True)])
    zk.delete(root + "/no-perms")


def test_set_acls_aversion(zk, root):
    p = root + "/acl-ver"
    zk.create(p)
    st = zk.set_acls(p, OPEN_ACL_UNSAFE, version=0)
    assert (st.aversion, st.version, st.cversion) == (1, 0, 0)
    with pytest.raises(BadVersionError):
        zk.set_acls(p, OPEN_ACL_UNSAFE, version=0)
    st = zk.set_acls(p, READ_ACL_UNSAFE + [make_digest_acl("user1", "pw", all=True)], version=1)
    assert st.aversion == 2
    acls, st = zk.get_acls(p)
    assert acls == [ACL(Permissions.READ, Id("world", "anyone")), ACL(Permissions.ALL, Id("digest", "user1:x"))], \
        "READ without ADMIN: digest ids are masked"
    assert st.aversion == 2
    # world-readable but not writable now
    with pytest.raises(NoAuthError):
        zk.set(p, b"x")
    assert zk.get(p)[0] == b""
    # the ACL check comes before the version check
    with pytest.raises(NoAuthError):
        zk.set_acls(p, OPEN_ACL_UNSAFE, version=99)
    with pytest.raises(NoAuthError):
        zk.set(p, b"x", version=99)


def test_invalid_acls(zk, root):
    p = root + "/inv"
    zk.create(p)
    with pytest.raises(InvalidACLError):
        zk.set_acls(p, [])  # an empty ACL list is invalid
    with pytest.raises(InvalidACLError):
        zk.create(root + "/bad", acl=[ACL(Permissions.ALL, Id("digest", "no-colon-here"))])
    with pytest.raises(InvalidACLError):
        zk.create(root + "/bad", acl=[ACL(Permissions.ALL, Id("nosuchscheme", "x"))])
    assert zk.exists(root + "/bad") is None


def test_get_acl_masks_digest_without_admin(server, make_client, zk, root):
    """With READ but not ADMIN, getACL returns the digest id masked as 'user:x'."""
    p = root + "/readonly-digest"
    zk.create(p, acl=[make_digest_acl("user1", "pw", read=True)])
    user1 = make_client(server, auth_data=[("digest", "user1:pw")])
    acls, _ = user1.get_acls(p)
    assert acls == [ACL(Permissions.READ, Id("digest", "user1:x"))]


def test_super_bypasses(server, make_client, zk, root):
    p = root + "/locked"
    zk.create(p, b"locked", acl=[make_digest_acl("user1", "pw", read=True)])
    sup = make_client(server, auth_data=[("digest", "super:test")])
    assert sup.get(p)[0] == b"locked"
    assert sup.set(p, b"by-super").version == 1
    acls, _ = sup.get_acls(p)
    assert acls == [ACL(Permissions.READ, Id("digest", USER1_DIGEST))], "super sees unmasked digests"
    sup.set_acls(p, OPEN_ACL_UNSAFE)
    assert zk.set(p, b"open again").version == 2


def test_creator_all_acl_via_auth_scheme(server, make_client, zk, root):
    with pytest.raises(InvalidACLError):
        zk.create(root + "/c0", acl=CREATOR_ALL_ACL)  # no authenticated id to substitute
    user1 = make_client(server, auth_data=[("digest", "user1:pw")])
    p = root + "/mine"
    user1.create(p, b"x", acl=CREATOR_ALL_ACL)
    acls, _ = user1.get_acls(p)
    assert acls == [ACL(Permissions.ALL, Id("digest", USER1_DIGEST))], "'auth' is replaced by the caller's ids"
    with pytest.raises(NoAuthError):
        zk.get(p)


def test_who_am_i_raw(server):
    raw = rawzk.connect(server.client_port)
    try:
        assert raw.who_am_i() == (0, [("ip", "127.0.0.1")])
        assert raw.add_auth("digest", b"user1:pw") == 0
        err, ids = raw.who_am_i()
        assert err == 0 and sorted(ids) == [("digest", "user1"), ("ip", "127.0.0.1")]
    finally:
        raw.close_session()


def test_auth_unknown_scheme_fails_and_closes(server):
    raw = rawzk.connect(server.client_port)
    try:
        assert raw.add_auth("nosuchscheme", b"x") == -115  # AUTHFAILED
        assert raw.wait_closed(5), "server closes the connection after AUTHFAILED"
    finally:
        raw.close()
