"""Corrupt values in a member's SQLite file stop start-up with an error that names the file and the
field (issue 11): a negative term, a commit index past the log, a vote for a non-member, a log
entry whose term is negative. Nothing traps, and the untouched file still starts and serves.

Only against Paddock: the file is Paddock's own database (Schemas/keeper.sql)."""

import os
import shutil
import sqlite3
import subprocess
import time

import pytest

from zkharness import ServerMember

pytestmark = pytest.mark.skipif(not os.environ.get("PADDOCK_BIN"), reason="Paddock's database file")

TRAP_MARKERS = ("Fatal error", "Precondition failed", "Assertion failed", "Illegal instruction",
                "Swift runtime failure", "Segmentation fault")

CASES = [
    ("UPDATE meta SET value = -5 WHERE key = 'hs_term'", "hs_term"),
    ("UPDATE meta SET value = 1000000000 WHERE key = 'hs_commit'", "commit"),
    ("UPDATE meta SET value = 7 WHERE key = 'hs_vote'", "hs_vote"),
    ("UPDATE log SET term = -3 WHERE idx = (SELECT MAX(idx) FROM log)", "term"),
]


def _start_and_wait_exit(member, timeout=30.0):
    """Runs the member in the foreground until it exits; returns (exit status, output). A member
    that is still running at the deadline is killed and reported as status None."""
    proc = subprocess.Popen([member.paddock_bin, "keeper", "--config", member.cfg_path],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    if proc.poll() is None:
        proc.kill()
        out = proc.communicate()[0].decode("utf-8", "replace")
        return None, out
    return proc.returncode, proc.communicate()[0].decode("utf-8", "replace")


@pytest.mark.parametrize("sql,field", CASES, ids=[f for _, f in CASES])
def test_corrupt_value_stops_start_up_naming_file_and_field(tmp_path, make_client, sql, field):
    # No tree checkpoint during the test, so every write stays in the log tail a restart reads
    # (a log row a checkpoint already covers is never read again, damaged or not).
    member = ServerMember(str(tmp_path / "m"), extra_cfg=["paddock.treeFlushMs=600000"])
    member.start()
    try:
        zk = make_client(member)
        for i in range(20):
            zk.create("/n%02d" % i, b"v")
        zk.stop()
    finally:
        member.stop()
    # Every field below lives in the log file (the hard state and the log rows).
    db = os.path.join(member.data_dir, "paddock-log.db")
    pristine = str(tmp_path / "pristine.db")
    shutil.copyfile(db, pristine)

    conn = sqlite3.connect(db)
    try:
        conn.execute(sql)
        assert conn.total_changes == 1, "the corruption %r changed no row" % sql
        conn.commit()
    finally:
        conn.close()

    status, out = _start_and_wait_exit(member)
    assert status is not None, "member started on a corrupt file:\n" + out[-2000:]
    assert status != 0, out[-2000:]
    for marker in TRAP_MARKERS:
        assert marker not in out, "trapped instead of refusing:\n" + out[-2000:]
    assert db in out and field in out, "the error names neither %s nor %r:\n%s" % (db, field, out[-2000:])

    # The same member on the untouched file starts and serves its data.
    for suffix in ("-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    shutil.copyfile(pristine, db)
    member.start()
    try:
        zk = make_client(member)
        assert len([c for c in zk.get_children("/") if c.startswith("n")]) == 20
        zk.stop()
    finally:
        member.stop()
