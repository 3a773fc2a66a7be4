"""Four-letter words on the client port (4lw.commands.whitelist=*)."""

import re

import rawzk


def test_ruok(server):
    assert server.fourlw("ruok") == "imok"


def test_isro(server):
    assert server.fourlw("isro") == "rw"


def test_srvr(server):
    out = server.fourlw("srvr")
    assert out.startswith("Zookeeper version: ")
    assert "\nMode: leader\n" in out
    for key in ("Latency min/avg/max: ", "Received: ", "Sent: ", "Connections: ", "Outstanding: ",
                "Zxid: 0x", "Node count: "):
        assert "\n" + key in out, key
    assert re.search(r"^Zxid: 0x[0-9a-f]+$", out, re.M)
    assert int(re.search(r"^Node count: (\d+)$", out, re.M).group(1)) >= 4  # /, /zookeeper, config, quota


def test_stat(server, zk):
    out = server.fourlw("stat")
    assert out.startswith("Zookeeper version: ")
    assert "\nClients:\n" in out
    assert re.search(r"^ /127\.0\.0\.1:\d+\[\d+\]\(queued=\d+,recved=\d+,sent=\d+\)$", out, re.M)
    assert "\nMode: leader\n" in out and "\nNode count: " in out


def test_mntr(server, zk, root):
    raw = rawzk.connect(server.client_port)
    try:
        raw.create(root + "/e", flags=rawzk.EPHEMERAL)
        raw.get_data(root, watch=True)
        lines = [l for l in server.fourlw("mntr").splitlines() if l]
        kv = {}
        for l in lines:
            k, sep, v = l.partition("\t")
            assert sep == "\t" and k.startswith("zk_"), repr(l)
            kv[k] = v
        assert kv["zk_server_state"] == "leader"
        assert kv["zk_version"] != ""
        assert int(kv["zk_znode_count"]) >= 6
        assert int(kv["zk_ephemerals_count"]) >= 1
        assert int(kv["zk_watch_count"]) >= 1
        assert int(kv["zk_num_alive_connections"]) >= 2
        for k in ("zk_avg_latency", "zk_max_latency", "zk_min_latency", "zk_packets_received",
                  "zk_packets_sent", "zk_outstanding_requests", "zk_approximate_data_size",
                  "zk_open_file_descriptor_count", "zk_max_file_descriptor_count"):
            assert k in kv, k
            float(kv[k])
        # leader-only keys (one-member ensemble in quorum mode)
        assert kv["zk_synced_followers"] == "0" and kv["zk_pending_syncs"] == "0"
    finally:
        raw.close_session()


def test_conf(server):
    out = server.fourlw("conf")
    kv = dict(l.split("=", 1) for l in out.splitlines() if "=" in l and not l.startswith("server."))
    assert kv["clientPort"] == str(server.client_port)
    assert kv["tickTime"] == "500"
    assert kv["minSessionTimeout"] == "1000" and kv["maxSessionTimeout"] == "30000"
    assert kv["serverId"] == "1"
    assert kv["dataDir"].startswith(server.data_dir)
    assert "server.1=127.0.0.1:%d:%d:participant;127.0.0.1:%d" % (
        server.quorum_port, server.election_port, server.client_port) in out


def test_envi(server):
    out = server.fourlw("envi")
    assert out.startswith("Environment:\n")
    kv = dict(l.split("=", 1) for l in out.splitlines()[1:] if "=" in l)
    assert "zookeeper.version" in kv and "host.name" in kv and "os.name" in kv


def test_cons(server, zk):
    out = server.fourlw("cons")
    assert re.search(r"^ /127\.0\.0\.1:\d+\[1\]\(queued=\d+,recved=\d+,sent=\d+,sid=0x[0-9a-f]+,", out, re.M), out
    assert "0x%x" % zk.client_id[0] in out


def test_wchs_wchc_wchp(server, zk, root):
    raw = rawzk.connect(server.client_port)
    try:
        raw.get_data(root, watch=True)
        wchs = server.fourlw("wchs")
        m = re.search(r"^(\d+) connections watching (\d+) paths\nTotal watches:(\d+)$", wchs, re.M)
        assert m and int(m.group(1)) >= 1 and int(m.group(3)) >= 1
        sid = "0x%x" % raw.session_id
        wchc = server.fourlw("wchc")
        assert "%s\n\t%s\n" % (sid, root) in wchc
        wchp = server.fourlw("wchp")
        assert "%s\n\t%s\n" % (root, sid) in wchp
    finally:
        raw.close_session()


def test_dump(server, zk, root):
    zk.create(root + "/e", ephemeral=True)
    out = server.fourlw("dump")
    assert out.startswith("SessionTracker dump:\n")
    assert "ephemeral nodes dump:\n" in out
    assert re.search(r"^Sessions with Ephemerals \(\d+\):$", out, re.M)
    assert "0x%x:\n\t%s/e\n" % (zk.client_id[0], root) in out


def test_unknown_4lw_closes(server):
    # not a four-letter word: treated as a frame length (0x78787878 > jute.maxbuffer) -> closed
    assert server.fourlw("xxxx") == ""
