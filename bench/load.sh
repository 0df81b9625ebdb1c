#!/usr/bin/env bash
# Load benchmark of the HTTP server: a second process (wrk) on loopback against the release
# binary, on the shipped sample data in a temporary chart folder and store.
#
#   bench/load.sh [DURATION] [THREADS] [CONNECTIONS]      (defaults: 10s 2 64)
#
# Runs, each bounded by DURATION, after one warm-up request per URL:
#   cached chart     GET /charts/radar.png?region=35.09&period=2025 (same URL: cache hits)
#   uncached chart   the same radar with a different `target` on every request (every one a
#                    miss: rendered and PNG-encoded), and the same for SVG
#   scores API       GET /api/v1/scores?region=35.09&period=2025 (cached JSON)
#   peer ranking     GET /api/v1/scores/peers?peer_group=35.09 (cached JSON)
# and prints one Markdown row per run: requests/s, p50, p99, errors (socket errors and
# non-2xx/3xx answers). Needs `wrk` (Debian package `wrk`) and `curl`.
set -euo pipefail

DURATION=${1:-10s}
THREADS=${2:-2}
CONNECTIONS=${3:-64}
PORT=${PORT:-18080}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BASE="http://127.0.0.1:$PORT"

command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }

cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/kotacerdas"

WORK=$(mktemp -d)
LOG="$WORK/server.log"
cleanup() {
    if [[ -n "${SERVER:-}" ]]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# Quiet logs: the benchmark measures serving, not the terminal.
RUST_LOG=warn "$BIN" --config "$ROOT/config.toml" --bind "127.0.0.1:$PORT" \
    --chart-dir "$WORK/charts" --store "$WORK/store" serve >"$LOG" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do
    curl -fs "$BASE/readyz" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -fs "$BASE/readyz" >/dev/null || { echo "server did not become ready:" >&2; cat "$LOG" >&2; exit 1; }

# Every request a different target line: a new cache key, so a render each time. Threads
# start far apart so they never ask for the same key.
cat >"$WORK/uncached.lua" <<'LUA'
local counter = 0
local offset = 0
local threads = 0
function setup(thread)
  thread:set("offset", threads * 40)
  threads = threads + 1
end
function init(args)
  offset = tonumber(offset) or 0
  path = args[1]
end
function request()
  counter = counter + 1
  local target = offset + counter / 100000
  return wrk.format("GET", path .. "&target=" .. string.format("%.5f", target))
end
LUA

run() { # name url [lua-script]
    local name=$1 url=$2 script=${3:-}
    curl -fs -o /dev/null "$url"
    local out
    if [[ -n "$script" ]]; then
        out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$script" "$BASE" -- "${url#"$BASE"}")
    else
        out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$url")
    fi
    local rps p50 p99 non2xx socket
    rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out")
    socket=$(awk -F'[ ,]+' '/Socket errors:/ {print $4+$6+$8+$10}' <<<"$out")
    printf '| %s | %s | %s | %s | %s |\n' "$name" "$rps" "$p50" "$p99" "$(( ${non2xx:-0} + ${socket:-0} ))"
}

echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION, loopback, $(nproc) cores"
echo
echo "| run | requests/s | p50 | p99 | errors |"
echo "|---|---:|---:|---:|---:|"
run "cached chart (radar 800×500 PNG)" "$BASE/charts/radar.png?region=35.09&period=2025"
run "uncached chart (radar 800×500 PNG, new target each request)" "$BASE/charts/radar.png?region=35.09&period=2025" "$WORK/uncached.lua"
run "uncached chart (radar 800×500 SVG, new target each request)" "$BASE/charts/radar.svg?region=35.09&period=2025" "$WORK/uncached.lua"
run "scores API (/api/v1/scores, cached JSON)" "$BASE/api/v1/scores?region=35.09&period=2025"
run "peer ranking (/api/v1/scores/peers, cached JSON)" "$BASE/api/v1/scores/peers?peer_group=35.09&period=2025"
echo
curl -fs "$BASE/metrics" | grep -E '^kotacerdas_cache_(hits|misses)_total' || true
