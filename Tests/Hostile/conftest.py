"""pytest harness for the process-level fuzzer (test_01_hostile_frames.py): one keeper and one broker per run,
started with Tests/Kafka's KafkaCluster; each test has a wall-clock limit (SIGALRM) and a failing
test's report carries both processes' log tails."""

import os
import sys

import pytest

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "Kafka"))

import kafkacluster  # noqa: E402
import zkprocess  # noqa: E402  (on sys.path through kafkacluster)

DEFAULT_TEST_TIMEOUT = 300
_CLUSTERS = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    yield from zkprocess.run_with_time_limit(item, DEFAULT_TEST_TIMEOUT)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for c in _CLUSTERS:
            for b in c.brokers:
                rep.sections.append(("broker%d %s" % (b.id, b.base_dir), b.logs_tail(60)))
            for m in c.keeper.members:
                rep.sections.append(("keeper %s %s" % (m.name, m.base_dir), m.logs_tail(60)))


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """A three-member keeper (so the quorum port carries real peer links) and one broker, killed (by
    pid) at the end."""
    cluster = kafkacluster.KafkaCluster(str(tmp_path_factory.mktemp("hostile")), brokers=1, members=3)
    _CLUSTERS.append(cluster)
    try:
        cluster.start()
        cluster.wait_listening()
        yield cluster
    finally:
        cluster.kill_all()
