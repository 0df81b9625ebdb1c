#!/usr/bin/env bash
# Login flood benchmark: a release server on loopback gets LOGINS failed `POST /login` (unknown
# names, wrong passwords), CONCURRENCY at a time, while a signed-in viewer's four chart clients
# keep asking for a radar PNG that is rendered on every request. Reproduces issue 15's
# "anonymous logins exhaust memory".
#
#   bench/login_flood.sh [LOGINS] [CONCURRENCY]      (defaults: 800 400)
#
# Prints the login answers by status with p50/p99/max latency, the chart requests made during
# the flood with theirs, and the server's resident memory before, at its peak and two seconds
# after (from /proc: Linux only). The client is `kotacerdas bench --login-flood` of this
# checkout's release build (or of BIN, when set: then nothing is built); the server is the same
# binary unless SERVER_BIN names another build (how the "before" figures of BENCHMARKS.md were
# taken from an older commit). Other `KOTACERDAS_*` variables reach the
# server, e.g. KOTACERDAS_ACCESS__LOGIN_FAILURES_PER_ADDRESS=0 to face the flood with the
# verification gate alone. Needs `curl`.
set -euo pipefail

LOGINS=${1:-800}
CONCURRENCY=${2:-400}
PORT=${PORT:-18081}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BASE="http://127.0.0.1:$PORT"

if [[ -z "${BIN:-}" ]]; then
    cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
    BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/kotacerdas"
fi
SERVER_BIN=${SERVER_BIN:-$BIN}

WORK=$(mktemp -d)
LOG="$WORK/server.log"
cleanup() {
    if [[ -n "${SERVER:-}" ]]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
# Both ends hold CONCURRENCY connections and more.
ulimit -n "$(( CONCURRENCY * 4 + 1024 ))" 2>/dev/null || true

# One viewer with a password at the shipped argon2id cost.
export KOTACERDAS_ACCESS__USERS_FILE="$WORK/users.toml"
PASSWORD="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$PASSWORD" | "$BIN" --config "$ROOT/config.toml" user add bappeda-jember \
    --role viewer --scope 35.09 >/dev/null

RUST_LOG=warn "$SERVER_BIN" --config "$ROOT/config.toml" --bind "127.0.0.1:$PORT" \
    --chart-dir "$WORK/charts" --store "$WORK/store" serve >"$LOG" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do
    curl -fs "$BASE/readyz" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -fs "$BASE/readyz" >/dev/null || { echo "server did not become ready:" >&2; cat "$LOG" >&2; exit 1; }
# The first chart request warms the renderer and the fonts, outside the measurement.
curl -fs -o /dev/null "$BASE/charts/radar.png?region=35.09&period=2025" || true

echo "server: $SERVER_BIN ($(nproc) cores; $(uptime | sed 's/.*load average/load average/'))"
printf '%s\n' "$PASSWORD" | "$BIN" --config "$ROOT/config.toml" bench --login-flood "$BASE" \
    --user bappeda-jember --logins "$LOGINS" --concurrency "$CONCURRENCY" --server-pid "$SERVER"
