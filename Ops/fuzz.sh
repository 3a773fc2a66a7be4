#!/usr/bin/env bash
# Runs every coverage-guided fuzz target (Sources/FuzzTargets) under libFuzzer for FUZZ_SECONDS
# each, starting from its committed corpus (Tests/Fuzz/<target>/corpus and regressions), and prints
# the executions per target. Exits non-zero only when libFuzzer reports a finding (crash, timeout
# of one input past FUZZ_INPUT_TIMEOUT seconds, OOM past FUZZ_RSS_MB); a slow machine only means
# fewer executions. Findings are left under .build-fuzz/findings/<target>/.
#
#   FUZZ_SECONDS=30         seconds per target (CI: 6 targets x 30 s)
#   FUZZ_TARGETS="a b"      a subset (default: all: zookeeper kafka record-batch peer segment groups)
#   FUZZ_ASAN=0             1: also AddressSanitizer (swiftc 6.3 then drops libFuzzer's coverage
#                           instrumentation, so the fuzzer runs blind: off by default)
#   FUZZ_KEEP_GOING=0       1: fork mode that records findings and keeps fuzzing (long campaigns)
#   FUZZ_JOBS=1             fork-mode workers when FUZZ_KEEP_GOING=1
#
# The libFuzzer binary is built in its own scratch path (.build-fuzz) with `-sanitize=fuzzer
# -parse-as-library -D PADDOCK_LIBFUZZER`; the plain `swift build` never sees these flags.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
seconds=${FUZZ_SECONDS:-30}
targets=${FUZZ_TARGETS:-zookeeper kafka record-batch peer segment groups}
input_timeout=${FUZZ_INPUT_TIMEOUT:-25}
rss_mb=${FUZZ_RSS_MB:-2048}
scratch="$here/.build-fuzz"

sanitizers=(-Xswiftc -sanitize=fuzzer)
if [[ ${FUZZ_ASAN:-0} == 1 ]]; then sanitizers+=(-Xswiftc -sanitize=address); fi
echo "== building the libFuzzer binary (${sanitizers[*]})"
start=$(date +%s)
swift build --scratch-path "$scratch" --product PaddockFuzz "${sanitizers[@]}" \
    -Xswiftc -parse-as-library -Xswiftc -DPADDOCK_LIBFUZZER 2>&1 | grep -v "Cannot export local symbol" || true
bin="$scratch/debug/PaddockFuzz"
[[ -x $bin && $bin -nt Package.swift ]] || { echo "fuzz build failed" >&2; exit 1; }
echo "fuzz build took $(($(date +%s) - start)) s"

# Swift's own backtracer would take the trap signal before libFuzzer saves the crashing input.
export SWIFT_BACKTRACE=${SWIFT_BACKTRACE:-enable=no}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1}
failed=()
summary=()
for target in $targets; do
    work="$scratch/corpus/$target"
    findings="$scratch/findings/$target"
    mkdir -p "$work" "$findings"
    seeds=("Tests/Fuzz/$target/corpus")
    [[ -d Tests/Fuzz/$target/regressions ]] && seeds+=("Tests/Fuzz/$target/regressions")
    mode=()
    if [[ ${FUZZ_KEEP_GOING:-0} == 1 ]]; then
        mode=(-fork="${FUZZ_JOBS:-1}" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
    fi
    log="$findings/fuzz.log"
    # Findings of an earlier run were reported then (and belong in Tests/Fuzz/<target>/regressions
    # once fixed); keep them aside so that this run counts only its own.
    mkdir -p "$findings/earlier"
    find "$findings" -maxdepth 1 -type f ! -name fuzz.log -exec mv -t "$findings/earlier" {} +
    echo "== fuzzing $target for ${seconds}s"
    set +e
    PADDOCK_FUZZ_TARGET=$target "$bin" "${mode[@]}" -max_total_time="$seconds" -timeout="$input_timeout" \
        -rss_limit_mb="$rss_mb" -max_len=65536 -detect_leaks=0 -print_final_stats=1 \
        -artifact_prefix="$findings/" "$work" "${seeds[@]}" >"$log" 2>&1
    status=$?
    set -e
    execs=$( (grep -ho 'stat::number_of_executed_units: *[0-9]*' "$log" || true) | awk '{s = $2} END {print s + 0}')
    if [[ ${FUZZ_KEEP_GOING:-0} == 1 ]]; then
        execs=$( (grep -o '#[0-9]*' "$log" || true) | tail -1 | tr -d '#')
    fi
    found=$(find "$findings" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' \
        -o -name 'leak-*' \) | wc -l)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
    corpus_size=$(find "$work" -type f | wc -l)
    summary+=("$target: ${execs:-0} executions in ${seconds}s, ${cov:-cov: ?}, corpus $corpus_size, findings $found")
    if ((found > 0 || (status != 0 && ${FUZZ_KEEP_GOING:-0} != 1))); then
        failed+=("$target")
        echo "!! $target: finding(s) in $findings; top of the report:"
        grep -m1 -A25 -E 'ERROR: libFuzzer|ERROR: AddressSanitizer|Fatal error|SUMMARY' "$log" | head -40 \
            || tail -40 "$log"
    fi
done
echo "== fuzz summary"
printf '%s\n' "${summary[@]}"
if ((${#failed[@]} > 0)); then
    echo "fuzzing found problems in: ${failed[*]} (inputs and logs under $scratch/findings)" >&2
    exit 1
fi
