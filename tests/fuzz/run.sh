#!/usr/bin/env bash
# Runs the libFuzzer targets side by side for a bounded time, each on its seed corpus
# (make_corpus.py for the wire targets, make_journal_corpus.py for journal_fuzz) plus what earlier
# runs in the same build directory found. Fails on a crash, a leak, a sanitizer report or a broken
# contract check, and names the input that did it.
# Usage: tests/fuzz/run.sh BUILD_DIR [SECONDS_PER_TARGET [TARGET...]]
#        (BUILD_DIR built with NESTCACHE_FUZZ; default targets: parser_fuzz meta_fuzz binary_fuzz engine_fuzz journal_fuzz)
set -euo pipefail
build=${1:?usage: tests/fuzz/run.sh BUILD_DIR [SECONDS]}
seconds=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
shift $(($# < 2 ? $# : 2))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(parser_fuzz meta_fuzz binary_fuzz engine_fuzz journal_fuzz)
seeds="$build/fuzz-seeds"
journal_seeds="$build/fuzz-seeds-journal"
rm -rf "$seeds" "$journal_seeds"
/usr/bin/python3 "$here/make_corpus.py" "$seeds"
/usr/bin/python3 "$here/make_journal_corpus.py" "$journal_seeds"

pids=()
for target in "${targets[@]}"; do
  corpus="$build/fuzz-corpus/$target"
  target_seeds=$seeds
  [ "$target" = journal_fuzz ] && target_seeds=$journal_seeds
  mkdir -p "$corpus" "$build/fuzz-artifacts/$target"
  echo "fuzz: $target for ${seconds}s"
  "$build/tests/fuzz/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=16384 -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$target/" \
    "$corpus" "$target_seeds" > "$build/fuzz-$target.log" 2>&1 &
  pids+=($!)
done

failed=0
for i in "${!targets[@]}"; do
  target=${targets[$i]}
  if wait "${pids[$i]}"; then
    grep -a -E "DONE|^stat::peak_rss_mb" "$build/fuzz-$target.log" | sed "s/^/fuzz: $target: /"
  else
    tail -n 60 "$build/fuzz-$target.log"
    echo "fuzz: $target FAILED; the input is in $build/fuzz-artifacts/$target/" >&2
    failed=1
  fi
done
[ "$failed" = 0 ] && echo "fuzz: no crash, leak or contract failure"
exit "$failed"
