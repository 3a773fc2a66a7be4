"""pytest harness for the ensemble fault-tolerance suite (see README.md).

Each test gets a fresh three-member ensemble (`ens`), started and at quorum. Target: Paddock
($PADDOCK_BIN, default ../../.build/debug/paddock) unless ENSEMBLE_TARGET=zookeeper.
"""

import atexit
import os
import sys

import pytest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ensemble as ensemble_mod  # noqa: E402
import zkprocess  # noqa: E402  (on sys.path through ensemble)

DEFAULT_TEST_TIMEOUT = 90
_ENSEMBLES = []  # every Ensemble of the run, for log tails on failure and cleanup at exit


@atexit.register
def _kill_leftovers():
    for e in list(_ENSEMBLES):
        e.kill_all()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    yield from zkprocess.run_with_time_limit(item, DEFAULT_TEST_TIMEOUT)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for e in _ENSEMBLES:
            for m in e.members:
                state = "paused" if m.paused else ("running" if m.running else "down")
                rep.sections.append(("%s %s (%s) %s" % (e.target, m.name, state, m.base_dir), m.logs_tail(60)))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    _ENSEMBLES.clear()  # log tails on failure: only this test's ensemble


def pytest_report_header(config):
    t = ensemble_mod.target()
    if t == "paddock":
        return "ensemble target: paddock (%s)" % ensemble_mod.paddock_bin()
    return "ensemble target: Apache ZooKeeper (java, %s)" % ensemble_mod.detect_classpath().split(":")[0]


@pytest.fixture
def ens(tmp_path):
    """A fresh three-member ensemble at quorum; torn down (SIGTERM, SIGKILL if needed) afterwards."""
    e = ensemble_mod.Ensemble(str(tmp_path / "ensemble"))
    _ENSEMBLES.append(e)
    try:
        e.start()
        yield e
    finally:
        try:
            e.close_clients()
        finally:
            e.kill_all()  # the test is over: no need for a graceful stop (stays listed for log tails)
