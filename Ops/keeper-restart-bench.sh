#!/usr/bin/env bash
# Issue 12's restart and memory figures (BENCHMARKS.md run J): fills a ZooKeeper 3.8 ensemble,
# then a Paddock one (never both at once), with N znodes of 300 bytes (Ops/keeper-populate.py),
# prints each member's RSS before and after, the follower's data directory size, and the time a
# stopped follower takes from start to serving (`srvr` says follower). SKIP_ZK=1 measures Paddock
# only, SKIP_PADDOCK=1 ZooKeeper only. Usage: PADDOCK_BIN=.build/release/paddock N=1000000 bash Ops/keeper-restart-bench.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
N=${N:-1000000}
bench=${BENCH_DIR:-$here/../../shared/bench}
BIN=${PADDOCK_BIN:-$here/../.build/release/paddock}
rss() { awk '/VmRSS/ {print $2}' /proc/$1/status; }
srvr_mode() { python3 -c "import socket;s=socket.create_connection(('127.0.0.1',$1),timeout=1);s.sendall(b'srvr');print(s.recv(4096).decode())" 2>/dev/null | grep -o "Mode: [a-z]*"; }
measure() {  # label dir port0 env...
  local label=$1 dir=$2 port0=$3; shift 3
  local hosts="127.0.0.1:$port0,127.0.0.1:$((port0+1)),127.0.0.1:$((port0+2))"
  local before=() ; for n in 1 2 3; do before+=($(rss $(cat $dir/zk$n/zk.pid))); done
  python3 "$here/keeper-populate.py" "$hosts" $N 300
  sleep 5
  local after=(); for n in 1 2 3; do after+=($(rss $(cat $dir/zk$n/zk.pid))); done
  echo "$label RSS KiB before ${before[*]} after ${after[*]}"
  # restart a follower: stop it (SIGTERM), start it again, time until it serves as a follower
  local f=""
  for n in 1 2 3; do if srvr_mode $((port0+n-1)) | grep -q follower; then f=$n; fi; done
  local pid=$(cat $dir/zk$f/zk.pid)
  cp /proc/$pid/cmdline "$dir/restart-cmdline"
  kill -TERM $pid; while kill -0 $pid 2>/dev/null; do sleep 0.05; done
  du -sh $dir/zk$f/data | sed "s/^/$label data dir of member $f: /"
  local t0=$(date +%s.%N)
  local -a args; mapfile -d '' args < "$dir/restart-cmdline"
  "${args[@]}" >>$dir/zk$f/log/stdout.log 2>&1 </dev/null &
  echo $! > $dir/zk$f/zk.pid
  while ! srvr_mode $((port0+f-1)) | grep -q follower; do sleep 0.05; done
  local t1=$(date +%s.%N)
  echo "$label member $f restart to serving: $(echo "$t1 - $t0" | bc) s, RSS $(rss $(cat $dir/zk$f/zk.pid)) KiB"
}
if [ -z "${SKIP_ZK:-}" ]; then
# zk-ensemble.sh starts Paddock instead when PADDOCK_BIN is set: not here.
ZKDIR=$(mktemp -d); env -u PADDOCK_BIN ZK_HEAP=3g $bench/zk-ensemble.sh start "$ZKDIR" >/dev/null 2>&1
measure zk "$ZKDIR" 22181 env -u PADDOCK_BIN ZK_HEAP=3g $bench/zk-ensemble.sh
for p in $(cat $ZKDIR/zk*/zk.pid); do jcmd $p GC.run >/dev/null 2>&1; echo "zk jcmd heap after GC $p: $(jcmd $p GC.heap_info 2>/dev/null | grep -o 'used [0-9]*K' | head -1)"; done
env -u PADDOCK_BIN $bench/zk-ensemble.sh stop "$ZKDIR" >/dev/null 2>&1; rm -rf "$ZKDIR"
fi
[ -n "${SKIP_PADDOCK:-}" ] && exit 0
P=$(mktemp -d); PADDOCK_BIN=$BIN ZK_CLIENT_PORT=32181 ZK_QUORUM_PORT=32281 ZK_ELECTION_PORT=32381 $bench/zk-ensemble.sh start "$P" >/dev/null 2>&1
measure paddock "$P" 32181 env PADDOCK_BIN=$BIN ZK_CLIENT_PORT=32181 ZK_QUORUM_PORT=32281 ZK_ELECTION_PORT=32381 $bench/zk-ensemble.sh
PADDOCK_BIN=$BIN ZK_CLIENT_PORT=32181 $bench/zk-ensemble.sh stop "$P" >/dev/null 2>&1
rm -rf "$P"
