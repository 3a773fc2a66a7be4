#!/usr/bin/env bash
# Installs what building and testing Paddock needs on a Debian machine (idempotent).
#  - libsqlite3-dev: the SQLite C API the keeper stores its data with
#  - zookeeper, zookeeper-bin, libzookeeper-mt2, default-jre-headless: Apache ZooKeeper 3.8 (the
#    oracle the compatibility suite is checked against) and its C client's cli_mt
#  - kcat (librdkafka 2.0.2): the Kafka compatibility suite's command-line client
#  - a Python venv with kazoo and pytest (Tests/Compat/requirements.txt) and kafka-python
#    (Tests/Kafka/requirements.txt; kcat compresses itself, so no Python codec packages)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
VENV=${PADDOCK_VENV:-$here/.venv}

need_apt=()
for pkg in libsqlite3-dev sqlite3 zookeeper zookeeper-bin libzookeeper-mt2 default-jre-headless python3-venv kcat; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if ((${#need_apt[@]})); then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
"$VENV/bin/pip" install -q --disable-pip-version-check -r "$here/Tests/Compat/requirements.txt" \
  -r "$here/Tests/Kafka/requirements.txt"
