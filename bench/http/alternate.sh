#!/usr/bin/env bash
# Runs bench/http/run.sh for several variants in turn, round after round, one server per run,
# and prints one line per run: hybrid search requests/s and p99, daily page requests/s. On a
# shared VM whose speed drifts, only variants measured alternating in one sitting compare.
#
# Usage: bench/http/alternate.sh DATA_DIR ROUNDS SECONDS VARIANT...
#        VARIANT is NAME:BINARY or NAME:BINARY:ENV=VALUE[,ENV=VALUE...]
# Env:   PAPERHUB_MODEL_DIR, SHARED (as for run.sh); 8 connections
# Example: bench/http/alternate.sh ../bench-data/data 2 15 \
#            bf16:target/release/paperhub f32:target/release/paperhub:PAPERHUB_EMBED__BF16_QUERIES=false
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ $# -lt 4 ] || [ "$1" = --help ] || [ "$1" = -h ]; then
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
fi
data_dir=$1 rounds=$2 seconds=$3
shift 3
for round in $(seq "$rounds"); do
    for variant in "$@"; do
        IFS=: read -r name bin envs <<< "$variant"
        env_args=()
        if [ -n "${envs:-}" ]; then IFS=, read -r -a env_args <<< "$envs"; fi
        out=$(env "${env_args[@]}" PAPERHUB_BIN="$bin" bench/http/run.sh "$data_dir" "$seconds" 8 2>&1) || {
            echo "round $round $name: run.sh failed:" >&2; echo "$out" >&2; exit 1; }
        hybrid=$(awk '/== hybrid/ {f = 1} f && /Requests\/sec/ {print $2; exit}' <<< "$out")
        p99=$(awk '/== hybrid/ {f = 1} f && / 99%/ {print $2; exit}' <<< "$out")
        daily=$(awk '/== daily/ {f = 1} f && /Requests\/sec/ {print $2; exit}' <<< "$out")
        echo "round $round $name: hybrid $hybrid req/s, p99 $p99; daily page $daily req/s"
    done
done
