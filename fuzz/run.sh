#!/usr/bin/env bash
# Usage: fuzz/run.sh SECONDS [TARGET...]
# Builds the cargo-fuzz targets (all of them when none is named) and runs each for SECONDS,
# starting from its checked-in seeds. New inputs go to a scratch directory so the seeds stay
# small; a crash leaves its reproducer in fuzz/artifacts/<target>/ and fails the run.
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$HOME/.cargo/bin:$PATH"
# cargo-fuzz passes -Z flags (sanitizers); no nightly toolchain can be fetched here, so the
# stable compiler is allowed to accept them.
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
secs=$1
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)
cargo fuzz build 2>&1 | tail -n 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for t in "${targets[@]}"; do
    mkdir -p "$work/$t" "artifacts/$t"
    if ! cargo fuzz run "$t" "$work/$t" "corpus/$t" -- -max_total_time="$secs" \
        -artifact_prefix="artifacts/$t/" -print_final_stats=1 >"$work/$t.log" 2>&1; then
        grep -E "panicked|ERROR|SUMMARY|Test unit written" "$work/$t.log" | head -20
        echo "fuzz $t: CRASH (reproducer in fuzz/artifacts/$t/)"
        exit 1
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log")
    echo "fuzz $t: ${execs:-?} executions in ${secs}s, no crash"
done
