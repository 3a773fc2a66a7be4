"""Small helpers shared by the compat tests: deadline polling and watch-event collection."""

import os
import queue
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pyharness"))

from zkprocess import wait_until  # noqa: E402,F401  (re-exported for the tests)


class Events:
    """A kazoo watch callback that records WatchedEvents in a queue.

    kazoo itself (client side, not the server) calls watchers with a type NONE /
    state CONNECTING event when the connection drops; those go to .session_events."""

    def __init__(self):
        self.q = queue.Queue()
        self.session_events = []

    def __call__(self, event):
        if event.type == "NONE":
            self.session_events.append(event)
        else:
            self.q.put(event)

    def get(self, timeout=5.0):
        try:
            return self.q.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no watch event within %.1fs" % timeout)

    def empty(self):
        return self.q.empty()

    def drain(self):
        out = []
        while True:
            try:
                out.append(self.q.get_nowait())
            except queue.Empty:
                return out


def fence(client, path):
    """Deliver-order barrier for one kazoo session: set an exists watch on a fresh node, create it,
    wait for its NodeCreated. Watch events of a session are delivered in order, and kazoo runs
    callbacks on one thread, so any event caused by an earlier write has been delivered by now."""
    ev = Events()
    assert client.exists(path, watch=ev) is None
    client.create(path)
    e = ev.get()
    assert (e.type, e.path) == ("CREATED", path)
    client.delete(path)
