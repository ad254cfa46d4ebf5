#!/usr/bin/env bash
# Runs the libFuzzer targets side by side (one core each) for a bounded time, on the seed corpus
# (make_corpus.py) plus what earlier runs in the same build directory found. Fails on a crash, a
# leak, a sanitizer report or a broken contract check, and names the input that did it.
# Usage: tests/fuzz/run.sh BUILD_DIR [SECONDS_PER_TARGET]   (BUILD_DIR built with NESTCACHE_FUZZ)
set -euo pipefail
build=${1:?usage: tests/fuzz/run.sh BUILD_DIR [SECONDS]}
seconds=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
targets=(parser_fuzz engine_fuzz)
seeds="$build/fuzz-seeds"
rm -rf "$seeds"
/usr/bin/python3 "$here/make_corpus.py" "$seeds"

pids=()
for target in "${targets[@]}"; do
  corpus="$build/fuzz-corpus/$target"
  mkdir -p "$corpus" "$build/fuzz-artifacts/$target"
  echo "fuzz: $target for ${seconds}s"
  "$build/tests/fuzz/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=16384 -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$target/" \
    "$corpus" "$seeds" > "$build/fuzz-$target.log" 2>&1 &
  pids+=($!)
done

failed=0
for i in "${!targets[@]}"; do
  target=${targets[$i]}
  if wait "${pids[$i]}"; then
    grep -E "DONE|^stat::peak_rss_mb" "$build/fuzz-$target.log" | sed "s/^/fuzz: $target: /"
  else
    tail -n 60 "$build/fuzz-$target.log"
    echo "fuzz: $target FAILED; the input is in $build/fuzz-artifacts/$target/" >&2
    failed=1
  fi
done
[ "$failed" = 0 ] && echo "fuzz: no crash, leak or contract failure"
exit "$failed"
