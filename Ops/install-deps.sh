#!/usr/bin/env bash
# Installs what building and testing Paddock needs on a Debian machine (idempotent).
#  - the build's C libraries (apt-deps.sh): SQLite and the four Kafka record-batch codecs
#  - zookeeper, zookeeper-bin, libzookeeper-mt2, default-jre-headless: Apache ZooKeeper 3.8 (the
#    oracle the compatibility suite is checked against) and its C client's cli_mt
#  - kcat (librdkafka 2.0.2): the Kafka compatibility suite's command-line client
#  - a Python venv with kazoo and pytest (Tests/Compat/requirements.txt) and kafka-python
#    (Tests/Kafka/requirements.txt; kcat compresses itself, so no Python codec packages)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
VENV=${PADDOCK_VENV:-$here/.venv}

# shellcheck source=apt-deps.sh
. "$here/Ops/apt-deps.sh"
install_missing_apt "${BUILD_APT_PACKAGES[@]}" sqlite3 zookeeper zookeeper-bin libzookeeper-mt2 \
  default-jre-headless python3-venv kcat
if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
"$VENV/bin/pip" install -q --disable-pip-version-check -r "$here/Tests/Compat/requirements.txt" \
  -r "$here/Tests/Kafka/requirements.txt"
