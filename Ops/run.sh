#!/usr/bin/env bash
# Builds Paddock (release) and runs a keeper on loopback with its data under ./data
# (override with PADDOCK_DATA). Clients connect to 127.0.0.1:2181; Ctrl-C stops it.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
DATA=${PADDOCK_DATA:-$here/data}
if ! dpkg -s libsqlite3-dev >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends libsqlite3-dev >/dev/null
fi
swift build -c release --product paddock
mkdir -p "$DATA/keeper1"
[ -f "$DATA/keeper1/myid" ] || echo 1 >"$DATA/keeper1/myid"
cat >"$DATA/keeper1.cfg" <<CFG
tickTime=2000
dataDir=$DATA/keeper1
4lw.commands.whitelist=*
admin.serverAddress=127.0.0.1
admin.serverPort=8080
server.1=127.0.0.1:2888:3888:participant;127.0.0.1:2181
CFG
echo "paddock keeper: connect string 127.0.0.1:2181, metrics http://127.0.0.1:8080/metrics, data in $DATA"
exec .build/release/paddock keeper --config "$DATA/keeper1.cfg"
