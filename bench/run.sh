#!/usr/bin/env bash
# The load benchmark of issue 7: pushgw-sidecar, the Go Pushgateway 1.5.1 and a do-nothing hyper
# server side by side on loopback, driven by wrk; CPU and RSS read from /proc. See bench/README.md.
#
# Usage: bench/run.sh [--quick|--full] [--runs N]
#   --quick  (default) small stores, 2 s wrk runs: to check the harness, not to quote
#   --full   the issue's sizes (200,000 series for c, 1,000,000 for d and e), 8 s wrk runs
#   --runs N repeat N times; the table shows the medians
# Environment: BENCH_PORT_BASE (default 19801: ours, +1 Go, +2 trivial), BENCH_OUT (target/bench).
# Needs wrk, curl, prometheus-pushgateway, and for g/h golang-go and
# golang-github-prometheus-common-dev (Debian packages).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=quick
runs=1
while (($#)); do
    case $1 in
    --quick) mode=quick ;;
    --full) mode=full ;;
    --runs)
        runs=${2:?--runs needs a number}
        shift
        ;;
    *)
        echo "usage: bench/run.sh [--quick|--full] [--runs N]" >&2
        exit 2
        ;;
    esac
    shift
done

if [[ $mode == full ]]; then
    duration=8         # seconds of each wrk run and of each series of scrapes
    scrape_seconds=8
    c_groups=10000     # c: 10,000 groups of 20 samples = 200,000 series
    d_groups=10000     # d, e: 10,000 groups of 100 samples = 1,000,000 series
    format_runs=5      # g, h: parses and renders of the 10 MB file (median)
else
    duration=2
    scrape_seconds=1
    c_groups=1000
    d_groups=500
    format_runs=3
fi
a_groups=1000 a_samples=10  # a: POST of 10 samples over 1,000 keys
b_groups=100 b_samples=100  # b: PUT of 100 samples over 100 keys
c_samples=20 d_samples=100
connections=32 threads=2

base=${BENCH_PORT_BASE:-19801}
declare -A port=([ours]=$base [go]=$((base + 1)) [null]=$((base + 2)))
out=${BENCH_OUT:-target/bench}
tick=$(getconf CLK_TCK)
# Requests wrk had issued but not seen answered when it stopped may not have been applied:
# one per connection, plus the one per thread wrk builds before connecting.
slack=$((connections + 2 * threads))
# Failures are reported in the table, one line each, without a backtrace.
export RUST_BACKTRACE=0 RUST_LIB_BACKTRACE=0

missing=()
for tool in wrk curl prometheus-pushgateway go; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
    echo "bench: missing ${missing[*]}; install the Debian packages:" >&2
    echo "  apt-get install wrk curl prometheus-pushgateway golang-go golang-github-prometheus-common-dev" >&2
    exit 1
fi
[[ -d /usr/share/gocode/src/github.com/prometheus/common/expfmt ]] || {
    echo "bench: Go's expfmt sources are missing; apt-get install golang-github-prometheus-common-dev" >&2
    exit 1
}

echo "bench: building (release)" >&2
cargo build --release --quiet -p pushgw-sidecar -p pushgw-bench
mkdir -p "$out"
GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off GOCACHE="$PWD/target/go-cache" \
    go build -o "$out/expfmt-bench" ./bench/go/main.go
tool=target/release/pushgw-bench

# --- servers ------------------------------------------------------------------------------------

declare -A pid=()

cleanup() {
    for name in "${!pid[@]}"; do kill "${pid[$name]}" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

url() { echo "http://127.0.0.1:${port[$1]}"; }

# start NAME [FLAGS...]: starts server NAME (ours, go, null) and waits until it is ready.
start() {
    local name=$1
    shift
    case $name in
    ours) target/release/pushgw-sidecar --web.listen-address="127.0.0.1:${port[ours]}" "$@" \
        >>"$out/ours.log" 2>&1 & ;;
    go) prometheus-pushgateway --web.listen-address="127.0.0.1:${port[go]}" "$@" \
        >>"$out/go.log" 2>&1 & ;;
    null) "$tool" null --listen "127.0.0.1:${port[null]}" "$@" >>"$out/null.log" 2>&1 & ;;
    esac
    pid[$name]=$!
    "$tool" ready "$(url "$name")" --since-ns "$(date +%s%N)" --timeout-secs 120 >/dev/null || {
        echo "bench: $name did not become ready; see $out/$name.log" >&2
        exit 1
    }
}

# stop NAME: SIGTERM (both gateways persist on it), then wait for the exit.
stop() {
    kill -TERM "${pid[$1]}"
    wait "${pid[$1]}" || true
    unset "pid[$1]"
}

# filled NAME GROUPS SAMPLES: starts NAME holding GROUPS groups of SAMPLES samples, consistency
# check on. The Go gateway re-checks its whole store on every push, which would make filling
# quadratic (hours for workload d), so it is filled with the check off, persisted and restarted
# with the check on from its file.
filled() {
    local name=$1 groups=$2 samples=$3
    if [[ $name == go ]]; then
        rm -f "$out/go-fill.data"
        start go --persistence.file="$out/go-fill.data" --push.disable-consistency-check
        "$tool" fill "$(url go)" --groups "$groups" --samples "$samples"
        stop go
        start go --persistence.file="$out/go-fill.data"
    elif [[ $name == ours ]]; then
        start ours
        "$tool" fill "$(url ours)" --groups "$groups" --samples "$samples"
    else
        start null
    fi
}

cpu_ticks() {
    local stat
    stat=$(<"/proc/$1/stat")
    stat=${stat##*) }
    # shellcheck disable=SC2086 # split into fields on purpose
    set -- $stat
    echo $((${12} + ${13}))
}

rss_kib() { awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status"; }

# wrk_field FILE FIELD: requests, rps, errors (non-2xx + socket errors), p50_ms, touched.
wrk_field() {
    awk -v field="$2" '
        function ms(text) {
            if (text ~ /us$/) return text / 1000
            if (text ~ /ms$/) return text + 0
            if (text ~ /m$/) return text * 60000
            return text * 1000
        }
        / requests in / { requests = $1 }
        /^Requests\/sec:/ { rps = $2 }
        /Non-2xx or 3xx responses:/ { errors += $NF }
        /Socket errors:/ { gsub(/,/, ""); errors += $4 + $6 + $8 + $10 }
        $1 == "50%" { p50 = ms($2) }
        $1 == "touched" { touched = $2 }
        END {
            if (field == "requests") print requests + 0
            if (field == "rps") print rps + 0
            if (field == "errors") print errors + 0
            if (field == "p50_ms") print p50
            if (field == "touched") print touched + 0
        }' "$1"
}

# record WORKLOAD SERVER FIGURE VALUE
record() { echo "$*" >>"$raw"; }

# check WORKLOAD SERVER [count args...]: records "check ok" or what failed.
check() {
    local workload=$1 server=$2 result
    shift 2
    if result=$("$tool" count "$(url "$server")" "$@" 2>&1); then
        record "$workload" "$server" check "ok ($(echo "$result" | tail -1))"
    else
        record "$workload" "$server" check "FAILED: $(echo "$result" | tr '\n' ' ')"
        echo "bench: $workload $server: check failed: $result" >&2
    fi
}

# --- workloads ----------------------------------------------------------------------------------

# push_workload a|b METHOD GROUPS SAMPLES
push_workload() {
    local workload=$1 method=$2 groups=$3 samples=$4 server before after requests errors touched
    for server in ours go null; do
        filled "$server" "$groups" "$samples"
        before=$(cpu_ticks "${pid[$server]}")
        wrk -t"$threads" -c"$connections" -d"${duration}s" --timeout 30s -s bench/lua/push.lua \
            "$(url "$server")" -- "$method" "$groups" "$samples" "$threads" >"$out/wrk-$workload-$server.txt"
        after=$(cpu_ticks "${pid[$server]}")
        requests=$(wrk_field "$out/wrk-$workload-$server.txt" requests)
        errors=$(wrk_field "$out/wrk-$workload-$server.txt" errors)
        touched=$(wrk_field "$out/wrk-$workload-$server.txt" touched)
        record "$workload" "$server" rps "$(wrk_field "$out/wrk-$workload-$server.txt" rps)"
        record "$workload" "$server" cpu_us "$(awk -v t=$((after - before)) -v n="$requests" -v hz="$tick" \
            'BEGIN { if (n > 0) printf "%.2f", t / hz * 1e6 / n }')"
        if ((errors)); then
            record "$workload" "$server" check "FAILED: $errors failed requests (see $out/wrk-$workload-$server.txt)"
        elif [[ $server != null ]]; then
            check "$workload" "$server" --samples "$samples" --groups "$groups" \
                --touched $((touched > slack ? touched - slack : 0))
        fi
        stop "$server"
    done
}

# scrape_p50 NAME [--gzip]: median latency of GET /metrics, one request after the other on one
# connection, for the run's duration and at least 3 times.
scrape_p50() {
    "$tool" scrape "$(url "$1")" --seconds "$scrape_seconds" --min 3 "${@:2}"
}

scrape_workload() {
    local server loader touched
    for server in ours go null; do
        if [[ $server == null ]]; then
            start null --metrics-file "$out/c-metrics.txt"
        else
            filled "$server" "$c_groups" "$c_samples"
        fi
        if [[ $server == ours ]]; then
            curl -fsS -o "$out/c-metrics.txt" "$(url ours)/metrics"
            record c ours bytes "$(stat -c %s "$out/c-metrics.txt")"
        fi
        record c "$server" p50_ms "$(scrape_p50 "$server")"
        if [[ $server != null ]]; then
            record c "$server" p50_gzip_ms "$(scrape_p50 "$server" --gzip)"
        fi
        # Under the push load of a (POSTs of 10 samples over the first 1,000 groups) until the
        # scrapes are done: SIGINT makes wrk stop and report.
        wrk -t"$threads" -c"$connections" -d3600s --timeout 30s -s bench/lua/push.lua \
            "$(url "$server")" -- POST "$a_groups" "$a_samples" "$threads" >"$out/wrk-c-load-$server.txt" &
        loader=$!
        record c "$server" p50_load_ms "$(scrape_p50 "$server")"
        kill -INT "$loader"
        wait "$loader"
        if [[ $server != null ]]; then
            touched=$(wrk_field "$out/wrk-c-load-$server.txt" touched)
            check c "$server" --samples "$c_samples" --groups "$c_groups" \
                --touched $((touched > slack ? touched - slack : 0))
        fi
        stop "$server"
    done
}

# d and e on the same store: RSS, peak over a full scrape, then restart from the persisted file.
memory_restart_workload() {
    local server file series empty steady peak ready flags=()
    series=$((d_groups * d_samples))
    for server in ours go; do
        file="$out/e-$server.data"
        rm -f "$file"*
        flags=(--persistence.file="$file")
        # Go: filled without its check, see `filled`; the store it holds is the same.
        [[ $server == go ]] && flags+=(--push.disable-consistency-check)
        start "$server" "${flags[@]}"
        empty=$(rss_kib "${pid[$server]}" VmRSS)
        "$tool" fill "$(url "$server")" --groups "$d_groups" --samples "$d_samples"
        sleep 2 # let the Go runtime's background GC settle: "steady" RSS
        steady=$(rss_kib "${pid[$server]}" VmRSS)
        echo 5 >"/proc/${pid[$server]}/clear_refs" # resets VmHWM
        curl -fsS -o /dev/null "$(url "$server")/metrics"
        curl -fsS -o /dev/null -H 'Accept-Encoding: gzip' "$(url "$server")/metrics"
        peak=$(rss_kib "${pid[$server]}" VmHWM)
        record d "$server" rss_per_series "$((steady * 1024 / series))"
        record d "$server" net_rss_per_series "$(((steady - empty) * 1024 / series))"
        record d "$server" steady_mib "$((steady / 1024))"
        record d "$server" peak_ratio "$(awk -v p="$peak" -v s="$steady" 'BEGIN { printf "%.3f", p / s }')"
        check d "$server" --samples "$d_samples" --groups "$d_groups"
        stop "$server"
        record e "$server" file_bytes "$(du -cb "$file"* | awk 'END { print $1 }')"
        local since
        since=$(date +%s%N)
        case $server in
        ours) target/release/pushgw-sidecar --web.listen-address="127.0.0.1:${port[ours]}" \
            --persistence.file="$file" >>"$out/ours.log" 2>&1 & ;;
        go) prometheus-pushgateway --web.listen-address="127.0.0.1:${port[go]}" \
            --persistence.file="$file" >>"$out/go.log" 2>&1 & ;;
        esac
        pid[$server]=$!
        ready=$("$tool" ready "$(url "$server")" --since-ns "$since")
        record e "$server" ready_s "$ready"
        check e "$server" --samples "$d_samples" --groups "$d_groups"
        stop "$server"
    done
}

formats_workload() {
    local exposition="$out/exposition.prom" line
    [[ -s $exposition ]] || "$tool" exposition "$exposition" >/dev/null
    while read -r line; do
        case $line in
        parse_mb_s*) record g ours parse_mb_s "${line#* }" ;;
        render_mb_s*) record h ours render_mb_s "${line#* }" ;;
        esac
    done < <("$tool" formats "$exposition" --runs "$format_runs")
    while read -r line; do
        case $line in
        parse_mb_s*) record g go parse_mb_s "${line#* }" ;;
        render_mb_s*) record h go render_mb_s "${line#* }" ;;
        esac
    done < <("$out/expfmt-bench" "$exposition" "$format_runs")
}

# --- main ---------------------------------------------------------------------------------------

rm -f "$out"/raw-*.txt "$out"/wrk-*.txt "$out"/{ours,go,null}.log
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$SECONDS
for ((run = 1; run <= runs; run++)); do
    raw="$out/raw-$run.txt"
    echo "bench: run $run/$runs ($mode), $((SECONDS - started)) s: a" >&2
    push_workload a POST "$a_groups" "$a_samples"
    echo "bench: run $run/$runs, $((SECONDS - started)) s: b" >&2
    push_workload b PUT "$b_groups" "$b_samples"
    echo "bench: run $run/$runs, $((SECONDS - started)) s: c ($((c_groups * c_samples)) series)" >&2
    scrape_workload
    echo "bench: run $run/$runs, $((SECONDS - started)) s: d, e ($((d_groups * d_samples)) series)" >&2
    memory_restart_workload
    echo "bench: run $run/$runs, $((SECONDS - started)) s: g, h" >&2
    formats_workload
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

context="$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, mode $mode (c: $((c_groups * c_samples)) series, d/e: $((d_groups * d_samples)) series, wrk ${duration}s, scrapes ${scrape_seconds}s), $((SECONDS - started)) s; load average $load_before before, $load_after after."
"$tool" report --context "$context" "$out"/raw-*.txt | tee "$out/results.md"
if grep -q FAILED "$out"/raw-*.txt; then
    echo "bench: some checks FAILED, see above" >&2
    exit 1
fi
