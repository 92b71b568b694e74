#!/usr/bin/env bash
# Soak run (issue 8; not part of CI): mixed push and scrape load against a release build of
# pushgw-sidecar for a while (default 10 minutes), with the server's resident memory sampled
# every second into a CSV. Once the working set is reached, memory must stay flat.
#
# Usage: scripts/soak.sh [SECONDS]
# Environment:
#   SOAK_PORT    port on 127.0.0.1 (default 19450)
#   SOAK_OUT     output directory (default target/soak): rss.csv, server.log, wrk-*.txt
#   SOAK_WARMUP  seconds counted as warm-up in the summary (default 60)
#   SOAK_ARGS    extra server flags (default: --persistence.sync, which also soaks the
#                write-ahead log; the persistence file is always in SOAK_OUT)
# Needs wrk (Debian package wrk) and curl.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${1:-600}
port=${SOAK_PORT:-19450}
out=${SOAK_OUT:-target/soak}
warmup=${SOAK_WARMUP:-60}
extra_args=${SOAK_ARGS---persistence.sync}
for tool in wrk curl; do
    command -v "$tool" >/dev/null || { echo "soak: $tool is missing; install the Debian package $tool" >&2; exit 1; }
done

cargo build --release --quiet -p pushgw-sidecar
mkdir -p "$out"
rm -f "$out"/soak.data* "$out"/rss.csv "$out"/wrk-*.txt

# shellcheck disable=SC2086 # extra_args is a list of flags
target/release/pushgw-sidecar --web.listen-address="127.0.0.1:$port" \
    --persistence.file="$out/soak.data" --persistence.interval=30s $extra_args \
    >"$out/server.log" 2>&1 &
server=$!
loaders=()
cleanup() {
    for pid in "${loaders[@]}"; do kill "$pid" 2>/dev/null || true; done
    kill "$server" 2>/dev/null || true
    wait 2>/dev/null || true
}
trap cleanup EXIT

deadline=$((SECONDS + 30))
until curl -fs -o /dev/null "http://127.0.0.1:$port/-/ready"; do
    if ((SECONDS > deadline)) || ! kill -0 "$server" 2>/dev/null; then
        echo "soak: the server did not become ready; see $out/server.log" >&2
        exit 1
    fi
    sleep 0.1
done

echo "soak: ${duration}s of load on 127.0.0.1:$port (pid $server), RSS every second to $out/rss.csv"
wrk -t1 -c4 -d"${duration}s" -s scripts/soak/push.lua "http://127.0.0.1:$port" >"$out/wrk-push.txt" 2>&1 &
loaders+=($!)
wrk -t1 -c2 -d"${duration}s" -H 'Accept-Encoding: gzip' "http://127.0.0.1:$port/metrics" >"$out/wrk-scrape.txt" 2>&1 &
loaders+=($!)

echo "second,rss_kib" >"$out/rss.csv"
start=$SECONDS
while ((SECONDS - start < duration)); do
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$server/status")
    echo "$((SECONDS - start)),$rss" >>"$out/rss.csv"
    sleep 1
done
for pid in "${loaders[@]}"; do wait "$pid" || true; done
loaders=()
kill -0 "$server" || { echo "soak: the server died; see $out/server.log" >&2; exit 1; }

awk -F, -v warmup="$warmup" 'NR > 1 {
        if (first == "") first = $2
        if ($1 >= warmup && warm == "") warm = $2
        if ($2 > max) { max = $2; max_at = $1 }
        last = $2; last_at = $1
    }
    END {
        printf "RSS (MiB): start %.1f, after %ds warm-up %.1f, end (%ds) %.1f, max %.1f at %ds\n",
            first / 1024, warmup, warm / 1024, last_at, last / 1024, max / 1024, max_at
    }' "$out/rss.csv"
for kind in push scrape; do
    echo "$kind load: $(grep -E 'Requests/sec' "$out/wrk-$kind.txt" | tr -s ' ')," \
        "$(grep -cE 'Non-2xx|Socket errors' "$out/wrk-$kind.txt" || true) error lines" \
        "(details in $out/wrk-$kind.txt)"
done
