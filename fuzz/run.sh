#!/usr/bin/env bash
# Builds every fuzz target and runs each in turn for SECONDS (default 60) from its seed corpus
# (fuzz/corpus/TARGET), one libFuzzer process at a time. Prints per target the executions and the
# coverage (libFuzzer's final "#N DONE cov: X ft: Y ..." line and stat::number_of_executed_units);
# exits non-zero if any target crashed, leaked, timed out or failed to run (the input that did it
# is in fuzz/artifacts/TARGET/). New inputs go to fuzz/corpus-work/TARGET (not committed; merge
# them into the committed corpus with `cargo +nightly fuzz cmin`, see ARCHITECTURE.md).
# Needs the nightly toolchain and cargo-fuzz (.ci/setup installs it).
set -euo pipefail
seconds=${1:-60}
case $seconds in '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;; esac
cd "$(dirname "$0")/.."
root=$PWD

targets=(cache_entry aws_file_edit otpauth front_argv endpoint_request)

nice -n 15 cargo +nightly fuzz build
bin_dir=$root/fuzz/target/x86_64-unknown-linux-gnu/release

failed=()
summary=()
for t in "${targets[@]}"; do
  work=$root/fuzz/corpus-work/$t
  artifacts=$root/fuzz/artifacts/$t
  logs=$root/fuzz/target/logs/$t
  mkdir -p "$work" "$artifacts" "$logs" "$root/fuzz/corpus/$t"
  rm -f "$logs"/fuzz-*.log
  echo "== $t: ${seconds}s"
  rc=0
  # -jobs=1 -workers=1: one process (the machine is shared); libFuzzer writes its output to
  # fuzz-0.log in the working directory.
  (cd "$logs" && nice -n 15 "$bin_dir/$t" -jobs=1 -workers=1 -max_total_time="$seconds" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$work" "$root/fuzz/corpus/$t") >"$logs/driver.log" 2>&1 || rc=$?
  log=$logs/fuzz-0.log
  done_line=$(grep -a -E '^#[0-9]+[[:space:]]+DONE' "$log" 2>/dev/null | tail -1 || true)
  units=$(grep -a -E '^stat::number_of_executed_units' "$log" 2>/dev/null | tail -1 | awk '{print $2}' || true)
  echo "$t: ${done_line:-no DONE line}"
  echo "$t: stat::number_of_executed_units: ${units:-?}"
  summary+=("$t: executions ${units:-?}; ${done_line:-no DONE line}")
  if [ "$rc" -ne 0 ] || [ -z "$done_line" ] ||
    grep -a -q -E '^==[0-9]+==ERROR|^SUMMARY: |panicked at|^Test unit written to|deadly signal' "$log" 2>/dev/null; then
    echo "$t: FAILED (exit $rc); the end of its log ($log):" >&2
    tail -n 40 "$log" "$logs/driver.log" >&2 || true
    ls -l "$artifacts" >&2 || true
    failed+=("$t")
  fi
done

echo "== summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: crashed or failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: ok"
