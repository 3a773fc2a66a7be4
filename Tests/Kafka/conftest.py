"""pytest harness for the Kafka compatibility suite (see README.md).

`cluster`: one keeper + three brokers shared by the tests that only create their own topics
(restarted brokers if a test left one down); `kafka`: the same once every Kafka listener accepts
connections; `fresh_cluster`: a new keeper + three brokers for a test that kills processes; `cluster_factory`:
new clusters with the test's own options (e.g. broker config lines).
Every test has a wall-clock limit (SIGALRM); a failing test's report carries the log tails of
every process of the clusters it used.
"""

import atexit
import os
import shutil
import subprocess
import sys

import pytest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import kafkacluster  # noqa: E402
import zkprocess  # noqa: E402  (on sys.path through kafkacluster)

DEFAULT_TEST_TIMEOUT = 120
_ALL = []     # every cluster of the run, killed at exit
_ACTIVE = []  # the clusters the running test uses, for log tails on failure


@atexit.register
def _kill_leftovers():
    for c in _ALL:
        c.kill_all()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    yield from zkprocess.run_with_time_limit(item, DEFAULT_TEST_TIMEOUT)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    _ACTIVE.clear()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for c in _ACTIVE:
            for b in c.brokers:
                state = "running" if b.running else "down"
                rep.sections.append(("broker%d (%s) %s" % (b.id, state, b.base_dir), b.logs_tail(80)))
            for m in c.keeper.members:
                rep.sections.append(("keeper %s %s" % (m.name, m.base_dir), m.logs_tail(30)))


def pytest_report_header(config):
    import kafka
    if shutil.which(kafkacluster.KCAT):
        kcat = subprocess.run([kafkacluster.KCAT, "-V"], capture_output=True, text=True).stdout.splitlines()[:1]
    else:
        kcat = ["NOT FOUND (apt-get install kcat, or set KCAT): every kcat test will fail"]
    return ["paddock: %s" % kafkacluster.ensemble.paddock_bin(),
            "kcat: %s; kafka-python %s" % (" ".join(kcat), kafka.__version__)]


def _start(path, **kw):
    c = kafkacluster.KafkaCluster(str(path), **kw)
    _ALL.append(c)
    _ACTIVE.append(c)
    c.start()
    return c


@pytest.fixture(scope="session")
def _shared(tmp_path_factory):
    c = _start(tmp_path_factory.mktemp("shared"))
    yield c
    c.kill_all()


@pytest.fixture
def cluster(_shared):
    """The shared keeper + 3 brokers, every broker running and registered."""
    _ACTIVE.append(_shared)
    down = [b for b in _shared.brokers if not b.running]
    for b in down:
        b.start()
    _shared.wait_registered([b.id for b in _shared.brokers])
    return _shared


@pytest.fixture
def kafka(cluster):
    """The shared cluster once every broker's Kafka listener accepts connections."""
    cluster.wait_listening()
    return cluster


@pytest.fixture
def fresh_cluster(tmp_path):
    """A new keeper + 3 brokers for this test alone (it may kill them); SIGKILLed afterwards."""
    c = _start(tmp_path / "cluster")
    yield c
    c.kill_all()


@pytest.fixture
def cluster_factory(tmp_path):
    """make(name, **KafkaCluster options): a new, started cluster under tmp_path/name for this test
    alone; every one is SIGKILLed afterwards."""
    made = []

    def make(name="cluster", **kw):
        c = _start(tmp_path / name, **kw)
        made.append(c)
        return c
    yield make
    for c in made:
        c.kill_all()
