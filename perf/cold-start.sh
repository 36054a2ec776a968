#!/usr/bin/env bash
# Cold start: process start -> first streamed token over REST, for ./ember serve and (when present)
# llama-server on the same file. Each run starts a fresh server, polls /health, then times a streaming
# /v1/completions request whose first `data:` chunk with text ends the measurement; the server is stopped.
#
# usage: perf/cold-start.sh [-r RUNS] MODEL.gguf
#   LLAMA_SERVER=path (default ../llama.cpp/src/build/bin/llama-server); EMBER_JAVA_OPTS passes JVM options.
# Prints one line per run and the median / max per server, plus Ember's RSS after the first request.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=5
while getopts "r:" o; do case $o in r) runs=$OPTARG ;; *) exit 2 ;; esac; done
shift $((OPTIND - 1))
model=${1:?usage: $0 [-r RUNS] MODEL.gguf}
llama=${LLAMA_SERVER:-../llama.cpp/src/build/bin/llama-server}
port=18090

first_token_ms() { # $1 = start epoch ns; polls until the server answers, then streams one request
  local start=$1
  for _ in $(seq 1 600); do
    if curl -sf -o /dev/null "http://127.0.0.1:$port/v1/models"; then break; fi
    sleep 0.01
  done
  curl -sN "http://127.0.0.1:$port/v1/completions" -H 'Content-Type: application/json' \
    -d '{"prompt":"Once upon a time","max_tokens":1,"temperature":0,"stream":true}' | while read -r line; do
      case "$line" in data:*\"text\":\"?*) echo $(( ($(date +%s%N) - start) / 1000000 )); break ;; esac
    done || true  # the loop leaves at the first token, so curl ends with a broken pipe
}

measure() { # $1 = label, rest = command
  local label=$1; shift
  local times=()
  for r in $(seq 1 "$runs"); do
    if curl -s -o /dev/null "http://127.0.0.1:$port/"; then echo "port $port is busy: stop what runs there first" >&2; exit 1; fi
    local start; start=$(date +%s%N)
    "$@" > /tmp/cold-start-server.log 2>&1 &
    local pid=$!
    local ms; ms=$(first_token_ms "$start")
    local rss=""
    if [ -r /proc/$pid/status ]; then rss=$(awk '/VmRSS/{print $2}' /proc/$pid/status); fi
    # the java launcher execs, so $pid is the JVM itself; llama-server likewise
    kill $pid 2>/dev/null
    for _ in $(seq 1 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
    kill -9 $pid 2>/dev/null || true; wait $pid 2>/dev/null || true
    echo "$label run $r: first token after ${ms} ms${rss:+, RSS $((rss / 1024)) MiB}"
    times+=("$ms")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v l="$label" '{a[NR]=$1} END {printf "%s: median %d ms, max %d ms over %d runs\n", l, a[int((NR+1)/2)], a[NR], NR}'
}

measure "ember" ./ember serve --model "$model" --port $port
if [ -x "$llama" ]; then
  measure "llama-server" "$llama" -m "$model" --port $port -c 512 -np 1
fi
