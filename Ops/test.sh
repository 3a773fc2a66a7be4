#!/usr/bin/env bash
# Builds Paddock and runs every test: the Swift suites (codecs, tree, consensus and its
# seeded simulations, storage, client, server), the compatibility suite with real clients
# (kazoo, raw wire, the ZooKeeper C client's cli_mt) first against Apache ZooKeeper 3.8 (to
# prove its expectations are real ZooKeeper behaviour) and then against `paddock keeper`, and
# the ensemble fault suite (SIGKILL/SIGSTOP/restart/wipe of real members), and the Kafka
# compatibility suite (kcat and kafka-python against a keeper and three `paddock broker`s), then
# the fuzzers: every libFuzzer target for FUZZ_SECONDS (Ops/fuzz.sh) and the process-level fuzzer
# that sends mutated frames to a running keeper and broker (Tests/Hostile).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
VENV=${PADDOCK_VENV:-$here/.venv}
bash Ops/install-deps.sh

# A compiler warning in Paddock's own code fails the run (the clean build shows every one).
no_new_warnings() {
    if grep -E "^$here/(Sources|Tests)/[^:]+:[0-9]+:[0-9]+: warning:" "$1"; then
        echo "compiler warnings in Paddock's code (above): fix them" >&2
        exit 1
    fi
}
mkdir -p "$here/.build"
echo "== swift build"
swift build 2>&1 | tee "$here/.build/build-output.log"
no_new_warnings "$here/.build/build-output.log"
echo "== swift test"
swift test 2>&1 | tee "$here/.build/test-output.log"
no_new_warnings "$here/.build/test-output.log"
echo "== keeper simulation: ${SIM_KEEPER_SEEDS:-150} seeds per scenario (the production ServerCore under faults)"
SIM_SEEDS=${SIM_KEEPER_SEEDS:-150} swift test --skip-build --filter "KeeperScenarioTests|HostilePeerTests"

echo "== compat suite against Apache ZooKeeper 3.8 (the oracle)"
(cd Tests/Compat && "$VENV/bin/python" -m pytest -q)
echo "== compat suite against paddock keeper"
(cd Tests/Compat && PADDOCK_BIN="$here/.build/debug/paddock" "$VENV/bin/python" -m pytest -q)
echo "== ensemble fault suite against a 3-member paddock ensemble"
(cd Tests/Ensemble && PADDOCK_BIN="$here/.build/debug/paddock" "$VENV/bin/python" -m pytest -q)
echo "== kafka compatibility suite against a keeper and 3 paddock brokers"
(cd Tests/Kafka && PADDOCK_BIN="$here/.build/debug/paddock" "$VENV/bin/python" -m pytest -q)
echo "== fuzz targets under libFuzzer (Ops/fuzz.sh, ${FUZZ_SECONDS:-30} s each)"
bash Ops/fuzz.sh
echo "== process-level fuzzer: mutated frames to a keeper and a broker"
(cd Tests/Hostile && PADDOCK_BIN="$here/.build/debug/paddock" "$VENV/bin/python" -m pytest -q -s)
