#!/usr/bin/env bash
# One instance against two: the release binary (or $BIN) serving the shipped sample data, first
# alone, then as two instances A and B on one store and one database behind nginx (round robin,
# deploy/nginx.conf's upstream settings, plain HTTP on loopback). wrk on loopback measures the
# cached and the uncached radar chart through each set-up, and an upload on A is timed until B
# serves scores of the new store generation (B follows the store every second).
#
#   bench/instances.sh [DURATION] [THREADS] [CONNECTIONS]      (defaults: 10s 2 64)
#
# The store is a folder both instances use, or the object store of KOTACERDAS_OBJECT_STORE__URL
# and its other [object_store] settings in the environment; the database is a
# SQLite file in the temporary folder, or the PostgreSQL of KOTACERDAS_DATABASE__URL. Needs wrk,
# curl and nginx (Debian packages). Prints Markdown rows.
set -euo pipefail

DURATION=${1:-10s}
THREADS=${2:-2}
CONNECTIONS=${3:-64}
PORT_A=${PORT_A:-18081}
PORT_B=${PORT_B:-18082}
PORT_LB=${PORT_LB:-18080}
ROOT=$(cd "$(dirname "$0")/.." && pwd)

for tool in wrk curl nginx; do
    command -v "$tool" >/dev/null || { echo "$tool not found: apt-get install $tool" >&2; exit 1; }
done
if [[ -z "${BIN:-}" ]]; then
    cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
    BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/kotacerdas"
fi

WORK=$(mktemp -d)
PIDS=()
cleanup() {
    [[ -f "$WORK/nginx.pid" ]] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

export KOTACERDAS_ACCESS__USERS_FILE="$WORK/users.toml"
export KOTACERDAS_DATABASE__URL="${KOTACERDAS_DATABASE__URL:-sqlite://$WORK/kotacerdas.db}"
export KOTACERDAS_EVALUATION__EVIDENCE_DIR="$WORK/evidence"
export KOTACERDAS_SCHEDULE__FOLLOW_STORE_SECONDS=1
STORE=${KOTACERDAS_PATHS__STORE:-$WORK/store}
printf '%s\n' "kata-sandi-bench-123" \
    | "$BIN" --config "$ROOT/config.toml" user add bench-steward --role steward --scope 35.09 2>/dev/null
STEWARD_TOKEN=$("$BIN" --config "$ROOT/config.toml" user token bench-steward 2>/dev/null)

start() { # name port
    # On object storage the store folder is each instance's own (cache, staging).
    local store=$STORE
    [[ -n "${KOTACERDAS_OBJECT_STORE__URL:-}" ]] && store="$WORK/store-$1"
    RUST_LOG=warn "$BIN" --config "$ROOT/config.toml" --bind "127.0.0.1:$2" \
        --chart-dir "$WORK/charts-$1" --store "$store" serve >"$WORK/$1.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 1 300); do
        curl -fs "http://127.0.0.1:$2/readyz" >/dev/null 2>&1 && return
        sleep 0.1
    done
    echo "instance $1 did not become ready:" >&2
    cat "$WORK/$1.log" >&2
    exit 1
}


run() { # label base uncached?
    local label=$1 base=$2 path="/charts/radar.png?region=35.09&period=2025" out
    curl -fs -o /dev/null "$base$path"
    if [[ "${3:-}" == uncached ]]; then
        out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$ROOT/bench/uncached.lua" "$base" -- "$path")
    else
        out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$base$path")
    fi
    local rps p50 p99 errors
    rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    errors=$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out")
    printf '| %s | %s | %s | %s | %s |\n' "$label" "$rps" "$p50" "$p99" "${errors:-0}"
}

echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION, loopback, $(nproc) cores, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| set-up, route | requests/s | p50 | p99 | errors |"
echo "|---|---:|---:|---:|---:|"
nginx_conf() { # ports of the upstream servers
    {
        echo "pid $WORK/nginx.pid; error_log $WORK/nginx-error.log; worker_processes 1;"
        echo "events { worker_connections 1024; }"
        echo "http { access_log off; upstream kotacerdas {"
        for port in "$@"; do echo "server 127.0.0.1:$port max_fails=3 fail_timeout=10s;"; done
        echo "keepalive 32; }"
        echo "server { listen 127.0.0.1:$PORT_LB; location / { proxy_pass http://kotacerdas;"
        echo "proxy_http_version 1.1; proxy_set_header Connection \"\"; } } }"
    } >"$WORK/nginx.conf"
}
LB="http://127.0.0.1:$PORT_LB"
# Warm every instance's cache: round robin alternates them.
warm() { for _ in 1 2 3 4; do curl -fs -o /dev/null "$LB/charts/radar.png?region=35.09&period=2025"; done; }

start a "$PORT_A"
run "one instance, direct, cached radar PNG" "http://127.0.0.1:$PORT_A"
run "one instance, direct, uncached radar PNG" "http://127.0.0.1:$PORT_A" uncached
nginx_conf "$PORT_A"
nginx -c "$WORK/nginx.conf"
for _ in $(seq 1 50); do curl -fs "$LB/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
run "one instance behind nginx, cached radar PNG" "$LB"
run "one instance behind nginx, uncached radar PNG" "$LB" uncached

start b "$PORT_B"
nginx_conf "$PORT_A" "$PORT_B"
nginx -c "$WORK/nginx.conf" -s reload 2>/dev/null
sleep 0.5
warm
run "two instances behind nginx, cached radar PNG" "$LB"
run "two instances behind nginx, uncached radar PNG" "$LB" uncached

# An upload on A, timed until B serves the new generation.
served() { curl -fs "http://127.0.0.1:$1/readyz" | grep -o '"served_generation":[0-9]*' | cut -d: -f2; }
before=$(served "$PORT_B")
printf 'activity_id,date,region_code,programme,quantity\nBENCH-1,2025-06-01,35.09.20,umkm_go_online,7\n' >"$WORK/upload.csv"
t0=$(date +%s%N)
curl -fs -H "Authorization: Bearer $STEWARD_TOKEN" -F "file=@$WORK/upload.csv" \
    "http://127.0.0.1:$PORT_A/api/v1/ingest" >/dev/null
t1=$(date +%s%N)
for _ in $(seq 1 600); do
    now=$(served "$PORT_B")
    [[ "$now" -gt "$before" ]] && break
    sleep 0.02
done
t2=$(date +%s%N)
echo
echo "upload on A answered in $(( (t1 - t0) / 1000000 )) ms (stored and re-scored on A);" \
     "B served generation $now (was $before) $(( (t2 - t0) / 1000000 )) ms after the upload began" \
     "(follow interval 1 s)"
