#!/usr/bin/env bash
# Builds Paddock and runs every test: the Swift suites (codecs, tree, storage, client, server)
# and the compatibility suite with real clients (kazoo, raw wire, the ZooKeeper C client's
# cli_mt), first against Apache ZooKeeper 3.8 (to prove the suite's expectations are real
# ZooKeeper behaviour), then against `paddock keeper`.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
VENV=${PADDOCK_VENV:-$here/.venv}
bash Ops/install-deps.sh

echo "== swift build"
swift build
echo "== swift test"
swift test

echo "== compat suite against Apache ZooKeeper 3.8 (the oracle)"
(cd Tests/Compat && "$VENV/bin/python" -m pytest -q)
echo "== compat suite against paddock keeper"
(cd Tests/Compat && PADDOCK_BIN="$here/.build/debug/paddock" "$VENV/bin/python" -m pytest -q)
