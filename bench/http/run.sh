#!/usr/bin/env bash
# HTTP load on a hub: hybrid search through the JSON API and the daily page, with wrk on
# loopback (Debian's `wrk`), against `paperhub serve` on a data directory that already holds
# papers, vectors and the embedding model (for the 1,000,000-paper hub of BENCHMARKS.md:
# `paperhub-bench run` then `paperhub-bench vectors`, then the demo papers for the daily page).
#
# Usage: bench/http/run.sh DATA_DIR [SECONDS] [CONNECTIONS]
# Env:   PAPERHUB_BIN (default target/release/paperhub), PAPERHUB_MODEL_DIR, SHARED (../shared)
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ $# -lt 1 ] || [ "$1" = --help ] || [ "$1" = -h ]; then
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
fi
data_dir=$1
seconds=${2:-30}
connections=${3:-8}
bin=${PAPERHUB_BIN:-target/release/paperhub}
shared=${SHARED:-../shared}
addr=127.0.0.1:8099
command -v wrk >/dev/null || { echo "error: wrk not found (apt-get install wrk)" >&2; exit 1; }
[ -x "$bin" ] || { echo "error: $bin not found (cargo build --release -p paperhub)" >&2; exit 1; }

work=$(mktemp -d)
export QUERIES=$work/queries.txt
python3 - "$shared/data/scifact/queries.jsonl" > "$QUERIES" <<'PY'
import json, sys, urllib.parse
for line in open(sys.argv[1]):
    print(urllib.parse.quote_plus(json.loads(line)["text"]))
PY
echo "queries: $(wc -l < "$QUERIES") SciFact claims, cycled"

"$bin" --data-dir "$data_dir" serve --listen "$addr" 2> "$work/serve.log" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$work"' EXIT
started=$(date +%s)
until curl -fs "http://$addr/healthz" >/dev/null; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
    sleep 1
done
echo "serving $data_dir after $(( $(date +%s) - started ))s; RSS $(awk '/VmRSS/ {print $2/1024 " MiB"}' /proc/$pid/status)"
curl -fs --max-time 60 "http://$addr/api/v1/stats" && echo || echo "(stats did not answer within 60 s)"

echo "== hybrid search, GET /api/v1/search?mode=hybrid&limit=10&q=<claim>"
wrk -t1 -c1 -d5s -s bench/http/search.lua "http://$addr" >/dev/null # warm-up
wrk -t2 -c"$connections" -d"${seconds}s" --latency -s bench/http/search.lua "http://$addr"
echo "== daily page, GET /"
wrk -t2 -c"$connections" -d"${seconds}s" --latency "http://$addr/"
echo "server RSS after: $(awk '/VmRSS/ {print $2/1024 " MiB"}' /proc/$pid/status), peak $(awk '/VmHWM/ {print $2/1024 " MiB"}' /proc/$pid/status)"
