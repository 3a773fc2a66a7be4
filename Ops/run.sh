#!/usr/bin/env bash
# Builds Paddock (release) and runs a local three-member keeper ensemble and three Kafka brokers
# on loopback, with every member's and broker's config, data and log under ./data/cluster
# (override with PADDOCK_DATA). ZooKeeper clients connect to
# 127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183, Kafka clients bootstrap from
# 127.0.0.1:9092,127.0.0.1:9093,127.0.0.1:9094. Ctrl-C stops the brokers, then the ensemble
# (data is kept; the next run resumes it).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
DATA=${PADDOCK_DATA:-$here/data/cluster}
# shellcheck source=apt-deps.sh
. "$here/Ops/apt-deps.sh"
install_missing_apt "${BUILD_APT_PACKAGES[@]}"
swift build -c release --product paddock
bin=.build/release/paddock
stop() { "$bin" cluster down --dir "$DATA"; }
trap stop INT TERM
"$bin" cluster up --dir "$DATA"
"$bin" cluster status --dir "$DATA" || true
echo "metrics: http://127.0.0.1:8080/metrics (8081, 8082 for members 2 and 3); logs: $DATA/keeper*/keeper.log"
echo "brokers: bootstrap servers 127.0.0.1:9092,127.0.0.1:9093,127.0.0.1:9094; logs: $DATA/broker*/broker.log"
echo "try: echo hello | kcat -P -b 127.0.0.1:9092 -t demo && kcat -C -b 127.0.0.1:9092 -t demo -e"
echo "     $bin shell --server 127.0.0.1:2181 ls /brokers/ids"
echo "Ctrl-C stops the brokers and the ensemble."
tail -n 0 -F "$DATA"/keeper*/keeper.log "$DATA"/broker*/broker.log &
wait $! || true
