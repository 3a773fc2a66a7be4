"""Requests that once killed a Paddock member (issue 11). Each is sent on its own connection,
and afterwards the member must still serve a fresh client (the `healthy` check).

Only against Paddock: Apache ZooKeeper 3.8 has no server-side reply limit, and a 2 GiB reply
is no fair test of the oracle's heap."""

import os

import pytest

import rawzk

pytestmark = pytest.mark.skipif(
    not os.environ.get("PADDOCK_BIN"), reason="Paddock's paddock.maxReplyBytes has no ZooKeeper equivalent")


def test_multiread_whose_reply_passes_2gib_closes_the_connection(server, zk, healthy):
    """65,000 getData ops on one 34 KB znode: a 1 MB request whose reply would be 2.2 GB. It used
    to trap in the frame encoder; now the connection is closed with one log line."""
    path = "/h"  # one letter: 65,000 ops of 16 bytes fit jute.maxbuffer
    zk.create(path, b"x" * 34_000)
    try:
        op = rawzk.path_watch_body(path)
        body = rawzk.multi_body([(rawzk.GET_DATA, op)] * 65_000)
        assert len(body) + 8 < 1_048_575, "the request itself fits jute.maxbuffer"
        c = rawzk.connect(server.client_port)
        try:
            xid = c.next_xid()
            c.send_frame(rawzk.i32(xid) + rawzk.i32(rawzk.MULTI_READ) + body)
            assert c.wait_closed(30), "a reply over paddock.maxReplyBytes closes the connection"
        finally:
            c.close()
        healthy()
        # A multiRead under the limit is still answered in full.
        c = rawzk.connect(server.client_port)
        try:
            rep = c.call(rawzk.MULTI_READ, rawzk.multi_body([(rawzk.GET_DATA, op)] * 100))
            assert rep.err == 0 and len(rep.body) > 100 * 34_000
        finally:
            c.close_session()
    finally:
        zk.delete(path)
