#!/usr/bin/env bash
# Runs every fuzz target of fuzz/ for a set time (not part of CI; the corpora are replayed on
# stable by pushgw-core/tests/fuzz_corpus.rs).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     default: 60 s, every target
#
# With a nightly toolchain and cargo-fuzz installed it runs `cargo +nightly fuzz run` (with the
# sanitizers cargo-fuzz sets up). Without them it says so and falls back to libFuzzer with
# coverage instrumentation on whatever toolchain is there (fuzz/README.md): panics and failed
# checks are found either way, only the sanitizers are missing.
#
# Each target works on a copy of its seed corpus, so the committed corpus does not grow. A crash
# is saved as fuzz/artifacts/<target>/crash-<hash> and the script exits 1: fix the bug, then copy
# the file into fuzz/corpus/<target>/ so that the ordinary tests replay it from then on.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds=${1:-60}
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then
    targets=(text_parse proto_decode grouping_key gateway_handle)
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if rustup toolchain list 2>/dev/null | grep -q '^nightly' && cargo +nightly fuzz --version >/dev/null 2>&1; then
    mode=cargo-fuzz
    echo "fuzzing with cargo-fuzz on nightly, ${seconds}s per target"
else
    mode=sancov
    if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
        echo "no nightly toolchain (rustup toolchain install nightly) and so no cargo-fuzz:"
    else
        echo "nightly is installed but cargo-fuzz is not (cargo install cargo-fuzz):"
    fi
    echo "fuzzing with libFuzzer and coverage instrumentation on $(rustc --version), without sanitizers, ${seconds}s per target"
    host=$(rustc -vV | sed -n 's/^host: //p')
    RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks" \
        cargo build --quiet --release --target "$host" --target-dir target/sancov \
        $(printf -- '--bin %s ' "${targets[@]}")
fi

failed=()
for target in "${targets[@]}"; do
    corpus="$work/$target"
    cp -r "corpus/$target" "$corpus"
    artifacts="artifacts/$target/"
    mkdir -p "$artifacts"
    before=$(find "$corpus" -type f | wc -l)
    echo "== $target ($before seeds)"
    status=0
    if [[ $mode == cargo-fuzz ]]; then
        cargo +nightly fuzz run "$target" "$corpus" -- \
            -max_total_time="$seconds" -artifact_prefix="$artifacts" -print_final_stats=1 \
            2>"$work/$target.log" || status=$?
    else
        "target/sancov/$host/release/$target" "$corpus" \
            -max_total_time="$seconds" -artifact_prefix="$artifacts" -print_final_stats=1 \
            2>"$work/$target.log" || status=$?
    fi
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)' "$work/$target.log" || true
    echo "   corpus grew from $before to $(find "$corpus" -type f | wc -l) inputs"
    if ((status != 0)); then
        tail -n 40 "$work/$target.log"
        failed+=("$target")
    fi
done

if ((${#failed[@]})); then
    echo "crashes in: ${failed[*]} (see fuzz/artifacts/)" >&2
    exit 1
fi
echo "no crashes"
