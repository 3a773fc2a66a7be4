"""Hostile requests that took a server down (issue 11). Each must end in an error or a closed
connection, and the server must go on answering other clients.

Paddock-only: Apache ZooKeeper has no reply-size limit and builds the whole multiRead reply (over
2 GiB here) on its heap, so these cases are not run against the oracle.
"""

import os

import pytest

import rawzk

paddock_only = pytest.mark.skipif(
    not os.environ.get("PADDOCK_BIN"), reason="Paddock-only: ZooKeeper cannot survive this request")


def _still_serving(server, make_client):
    c = make_client(server)
    p = c.create("/alive-", b"ok", sequence=True, ephemeral=True)
    assert c.get(p)[0] == b"ok"
    assert server.fourlw("ruok") == "imok"


@paddock_only
def test_multiread_reply_past_2gib_closes_only_that_connection(own_server, make_client):
    # One 34 KB node, read 65,000 times in one multiRead: a reply of about 2.2 GB. A short path
    # keeps the request (16 bytes an op) under jute.maxbuffer.
    zk = make_client(own_server)
    zk.create("/b", b"x" * (34 * 1024))
    # multi_body joins by concatenation, which is quadratic: build the 1 MB body directly.
    op = rawzk.i32(rawzk.GET_DATA) + rawzk.boolean(False) + rawzk.i32(-1) + rawzk.path_watch_body("/b")
    body = op * 65_000 + rawzk.i32(-1) + rawzk.boolean(True) + rawzk.i32(-1)
    assert len(body) + 8 <= 1_048_575
    bystander = rawzk.connect(own_server.client_port)
    attacker = rawzk.connect(own_server.client_port)
    attacker.send_frame(rawzk.i32(attacker.next_xid()) + rawzk.i32(rawzk.MULTI_READ) + body)
    assert attacker.wait_closed(20)
    attacker.close()
    # The bystander connection opened before the attack still answers, and so do new clients.
    assert bystander.get_data("/b")[1] == b"x" * (34 * 1024)
    bystander.close()
    _still_serving(own_server, make_client)
