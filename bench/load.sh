#!/usr/bin/env bash
# Load benchmark of the HTTP server: a second process (wrk) on loopback against the release
# binary (or $BIN), on the shipped sample data in a temporary chart folder and store.
#
#   bench/load.sh [DURATION] [THREADS] [CONNECTIONS]      (defaults: 10s 2 64)
#
# Runs, each bounded by DURATION, after one warm-up request per URL:
#   cached chart     GET /charts/radar.png?region=35.09&period=2025 (same URL: cache hits)
#   uncached chart   the same radar with a different `target` on every request (every one a
#                    miss: rendered and PNG-encoded), and the same for SVG
#   scores API       GET /api/v1/scores?region=35.09&period=2025 (cached JSON)
#   peer ranking     GET /api/v1/scores/peers?peer_group=35.09 (cached JSON)
#   evaluation form  GET /evaluasi/1/35.09 as Jember's steward (a round opened on a SQLite
#                    file in the temporary folder, every item answered; never cached)
# and prints one Markdown row per run: requests/s, p50, p95, p99, errors (socket errors and
# non-2xx/3xx answers). Needs `wrk` (Debian package `wrk`) and `curl`.
set -euo pipefail

DURATION=${1:-10s}
THREADS=${2:-2}
CONNECTIONS=${3:-64}
PORT=${PORT:-18080}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BASE="http://127.0.0.1:$PORT"

command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }

# BIN=path/to/kotacerdas times another build (a dev-profile one, say) instead of the release.
if [[ -z "${BIN:-}" ]]; then
    cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
    BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/kotacerdas"
fi

WORK=$(mktemp -d)
LOG="$WORK/server.log"
cleanup() {
    if [[ -n "${SERVER:-}" ]]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# Users and the evaluation database live in the temporary folder too.
export KOTACERDAS_ACCESS__USERS_FILE="$WORK/users.toml"
export KOTACERDAS_DATABASE__URL="sqlite://$WORK/kotacerdas.db"
export KOTACERDAS_EVALUATION__EVIDENCE_DIR="$WORK/evidence"
for user in "bench-admin --role admin" "bench-steward --role steward --scope 35.09"; do
    # shellcheck disable=SC2086
    printf '%s\n' "kata-sandi-bench-123" | "$BIN" --config "$ROOT/config.toml" user add $user 2>/dev/null
done
ADMIN_TOKEN=$("$BIN" --config "$ROOT/config.toml" user token bench-admin 2>/dev/null)
STEWARD_TOKEN=$("$BIN" --config "$ROOT/config.toml" user token bench-steward 2>/dev/null)

# Quiet logs: the benchmark measures serving, not the terminal.
RUST_LOG=warn "$BIN" --config "$ROOT/config.toml" --bind "127.0.0.1:$PORT" \
    --chart-dir "$WORK/charts" --store "$WORK/store" serve >"$LOG" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do
    curl -fs "$BASE/readyz" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -fs "$BASE/readyz" >/dev/null || { echo "server did not become ready:" >&2; cat "$LOG" >&2; exit 1; }

# The 95th percentile, which wrk's --latency table leaves out.
cat >"$WORK/p95.lua" <<'LUA'
function done(summary, latency, requests)
  io.write(string.format("p95: %.2fms\n", latency:percentile(95) / 1000))
end
LUA

run() { # name url [lua-script] [header]
    local name=$1 url=$2 script=${3:-$WORK/p95.lua} header=${4:-X-Bench: 1}
    curl -fs -o /dev/null -H "$header" "$url"
    local out
    if [[ "$script" != "$WORK/p95.lua" ]]; then
        out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "$header" -s "$script" "$BASE" -- "${url#"$BASE"}")
    else
        out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "$header" -s "$script" "$url")
    fi
    local rps p50 p95 p99 non2xx socket
    rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p95=$(awk '$1 == "p95:" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out")
    socket=$(awk -F'[ ,]+' '/Socket errors:/ {print $4+$6+$8+$10}' <<<"$out")
    printf '| %s | %s | %s | %s | %s | %s |\n' "$name" "$rps" "$p50" "${p95:--}" "$p99" "$(( ${non2xx:-0} + ${socket:-0} ))"
}

# An evaluation round with Jember's form answered in full, for the form page run.
curl -fs -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
    -d "{\"year\": 2025, \"cohort\": [\"35.09\"], \"deadline\": \"$(date -d '+30 days' +%F)\"}" \
    "$BASE/api/v1/rounds" >/dev/null
ANSWERS=$(curl -fs -H "Authorization: Bearer $STEWARD_TOKEN" "$BASE/api/v1/rounds/1/forms/35.09" \
    | grep -o '"id":"[A-Z]\{3\}-[0-9]\{2\}","pillar"' | cut -d'"' -f4 \
    | awk 'BEGIN {printf "["} {printf "%s{\"item\":\"%s\",\"value\":\"1\"}", (NR > 1 ? "," : ""), $1} END {printf "]"}')
curl -fs -X PUT -H "Authorization: Bearer $STEWARD_TOKEN" -H 'Content-Type: application/json' \
    -d "{\"version\": 1, \"answers\": $ANSWERS}" "$BASE/api/v1/rounds/1/forms/35.09" >/dev/null \
    || echo "note: the form could not be filled (answers refused); the page is timed as a draft" >&2

echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION, loopback, $(nproc) cores"
echo
echo "| run | requests/s | p50 | p95 | p99 | errors |"
echo "|---|---:|---:|---:|---:|---:|"
run "cached chart (radar 800×500 PNG)" "$BASE/charts/radar.png?region=35.09&period=2025"
run "uncached chart (radar 800×500 PNG, new target each request)" "$BASE/charts/radar.png?region=35.09&period=2025" "$ROOT/bench/uncached.lua"
run "uncached chart (radar 800×500 SVG, new target each request)" "$BASE/charts/radar.svg?region=35.09&period=2025" "$ROOT/bench/uncached.lua"
run "scores API (/api/v1/scores, cached JSON)" "$BASE/api/v1/scores?region=35.09&period=2025"
run "peer ranking (/api/v1/scores/peers, cached JSON)" "$BASE/api/v1/scores/peers?peer_group=35.09&period=2025"
run "evaluation form page (/evaluasi/1/35.09, steward, 36 answered items)" "$BASE/evaluasi/1/35.09" "$WORK/p95.lua" "Authorization: Bearer $STEWARD_TOKEN"
echo
curl -fs "$BASE/metrics" | grep -E '^kotacerdas_cache_(hits|misses)_total' || true
