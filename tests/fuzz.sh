#!/usr/bin/env bash
# Runs every cargo-fuzz target of crate/fuzz/ for SECONDS each (default 600), one after
# another, then minimises each corpus (`cargo fuzz cmin`) and prints, per target, the
# executions and the coverage libFuzzer reached. `./build.sh fuzz [SECONDS]` calls it.
#
#   tests/fuzz.sh [SECONDS] [TARGET...]
#
# Installs cargo-fuzz when missing. libFuzzer needs nightly rustc flags; the stable
# toolchain takes them with RUSTC_BOOTSTRAP=1 (no second toolchain to install). The
# sanitizer is AddressSanitizer; IDLAB_FUZZ_SANITIZER=none turns it off (faster, finds
# only panics, aborts, timeouts and memory blow-ups). Limits are libFuzzer's
# -rss_limit_mb=2048 (a file that makes the reader allocate more is a finding) and
# -timeout=10 (seconds per input). A crash leaves its input in
# crate/fuzz/artifacts/<target>/: fix it, move the input to crate/fuzz/regressions/<target>/
# (crate/tests/fuzz_replay.rs replays it on every `./build.sh test`). Exits 1 if any
# target crashed. IDLAB_CARGO_LOCK=<file> runs each cargo build under flock(1).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
fuzz=$root/crate/fuzz

seconds=${1:-600}
shift || true
if ! [[ $seconds =~ ^[0-9]+$ ]]; then
    echo "usage: tests/fuzz.sh [SECONDS] [TARGET...]" >&2
    exit 2
fi

command -v cargo >/dev/null || { echo "tests/fuzz.sh: cargo is missing (install rustup)" >&2; exit 2; }
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz
fi

export RUSTC_BOOTSTRAP=1
sanitizer=${IDLAB_FUZZ_SANITIZER:-address}
lock=()
[[ -n ${IDLAB_CARGO_LOCK:-} ]] && lock=(flock "$IDLAB_CARGO_LOCK")
build_flags=(--release --sanitizer "$sanitizer")
cd "$fuzz"

if (($# > 0)); then targets=("$@"); else mapfile -t targets < <(cargo fuzz list); fi

echo "== building ${#targets[@]} targets (sanitizer: $sanitizer)"
"${lock[@]}" cargo +stable fuzz build "${build_flags[@]}"

logs=$(mktemp -d)
failed=()
summary=()
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    echo "== $t: ${seconds}s"
    set +e
    cargo +stable fuzz run "${build_flags[@]}" "$t" "corpus/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="artifacts/$t/" >"$logs/$t.log" 2>&1
    rc=$?
    set -e
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$t.log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$logs/$t.log" | tail -1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    if ((rc != 0)); then
        failed+=("$t")
        grep -E 'panicked at|ERROR: libFuzzer|SUMMARY|Test unit written' "$logs/$t.log" | head -5 || true
        status="CRASH (log $logs/$t.log)"
    else
        status=ok
    fi
    echo "   $last"
    set +e
    cargo +stable fuzz cmin "${build_flags[@]}" "$t" "corpus/$t" -- -rss_limit_mb=2048 -timeout=10 >"$logs/$t.cmin.log" 2>&1
    set -e
    summary+=("$(printf '%-11s %6ss %12s execs  cov %6s  ft %6s  corpus %4s files  %s' \
        "$t" "$seconds" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$(ls "corpus/$t" | wc -l)" "$status")")
done

echo "== summary (crate/fuzz/corpus: $(du -sh --apparent-size corpus | cut -f1); logs in $logs)"
printf '%s\n' "${summary[@]}"
if ((${#failed[@]} > 0)); then
    echo "crashed: ${failed[*]} (inputs in crate/fuzz/artifacts/)" >&2
    exit 1
fi
