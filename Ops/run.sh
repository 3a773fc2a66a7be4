#!/usr/bin/env bash
# Builds Paddock (release) and runs a local three-member keeper ensemble and three Kafka brokers
# on loopback, with every member's and broker's config, data and log under ./data/cluster
# (override with PADDOCK_DATA). ZooKeeper clients connect to
# 127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183, Kafka clients bootstrap from
# 127.0.0.1:9092,127.0.0.1:9093,127.0.0.1:9094. Ctrl-C stops the brokers, then the ensemble
# (data is kept; the next run resumes it).
# The znodes are secured as in a secure Kafka deployment (zookeeper.set.acl=true): the brokers share
# one ensemble identity, digest user "kafka" with a random password generated on the first run into
# $DATA/zookeeper-digest.password (mode 0600, kept with the data it protects). Anyone may read the
# brokers' znodes; changing them needs that credential (paddock topics --zookeeper-digest-user kafka
# --zookeeper-digest-password-file FILE, or addauth in the shell). The root stays open, so the
# ensemble also serves ordinary ZooKeeper clients; PADDOCK_SECURE_ROOT=true makes it creator-only
# for writes too (as Kafka's zookeeper-security-migration does; nobody else may then create
# top-level znodes). PADDOCK_ZOOKEEPER_ACL=false starts the brokers without ACLs (they still
# authenticate).
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
acl_flag=--zookeeper-acl
[ "${PADDOCK_ZOOKEEPER_ACL:-true}" = false ] && acl_flag=--no-zookeeper-acl
root_flag=()
[ "${PADDOCK_SECURE_ROOT:-false}" = true ] && root_flag=(--secure-root)
"$bin" cluster up --dir "$DATA" "$acl_flag" "${root_flag[@]}"
"$bin" cluster status --dir "$DATA" || true
echo "metrics: http://127.0.0.1:8080/metrics (8081, 8082 for members 2 and 3); logs: $DATA/keeper*/keeper.log"
echo "brokers: bootstrap servers 127.0.0.1:9092,127.0.0.1:9093,127.0.0.1:9094; logs: $DATA/broker*/broker.log"
echo "try: echo hello | kcat -P -b 127.0.0.1:9092 -t demo && kcat -C -b 127.0.0.1:9092 -t demo -e"
echo "     $bin shell --server 127.0.0.1:2181 ls /brokers/ids"
echo "     $bin topics create --zookeeper 127.0.0.1:2181 --topic t --partitions 3 --replication-factor 3 \\"
echo "       --zookeeper-digest-user kafka --zookeeper-digest-password-file $DATA/zookeeper-digest.password"
echo "Ctrl-C stops the brokers and the ensemble."
tail -n 0 -F "$DATA"/keeper*/keeper.log "$DATA"/broker*/broker.log &
wait $! || true
