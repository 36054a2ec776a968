#!/usr/bin/env bash
# Cold start: process start -> first streamed token, for ./ember serve over REST and over gRPC, each without and
# with the AOT cache (target/quarkus-app/ember.aot, made by ./mvnw package or ./ember aot-train), and for
# llama-server (REST; when present) on the same files. Each run starts a fresh server and stops it after the token.
#   REST: a streamed max_tokens 1 /v1/completions; the first `data:` event with text ends it (perf/RestFirstToken.java).
#   gRPC: ember.v1.Generation/GenerateStream (max_tokens 1); the first message with a token ends it
#         (perf/GrpcFirstToken.java).
#   Both probes are JDK-only programs, started and loaded *before* the server so that their own JVM start-up is not
#   counted; each connects as soon as the port opens and sends its request at once (Ember queues a request that comes
#   while it loads; llama-server answers 503 then, and the REST probe asks again 5 ms later). No process is forked
#   while the server starts (curl polling every 10 ms took CPU from a 2-core machine's start-up).
#
# usage: perf/cold-start.sh [-r RUNS] MODEL.gguf [MODEL.gguf ...]
#   LLAMA_SERVER=path (default ../llama.cpp/src/build/bin/llama-server); EMBER_JAVA_OPTS passes JVM options.
# The configurations of a model take turns, one run each per round (see add_config). Prints one line per run and, per
# model and server/protocol/cache, the median and max over the runs, the server's RSS after the first token (min-max
# over the runs) and the ratio of its median to llama-server's.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=5
while getopts "r:" o; do case $o in r) runs=$OPTARG ;; *) exit 2 ;; esac; done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "usage: $0 [-r RUNS] MODEL.gguf [MODEL.gguf ...]" >&2; exit 2; }
llama=${LLAMA_SERVER:-../llama.cpp/src/build/bin/llama-server}
port=18090
java_home=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
cache=target/quarkus-app/ember.aot
tmp=$(mktemp -d)
server=
cleanup() { [ -n "$server" ] && kill -9 "$server" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

"$java_home/bin/javac" -d "$tmp/probe" perf/GrpcFirstToken.java perf/RestFirstToken.java

now_ns() { date +%s%N; }

# run_once PROTO CMD...: one cold start; sets ms and rss.
run_once() {
  local proto=$1; shift
  if curl -s -o /dev/null "http://127.0.0.1:$port/"; then echo "port $port is busy: stop what runs there first" >&2; exit 1; fi
  local start token="" cpid="" class=RestFirstToken
  [ "$proto" = grpc ] && class=GrpcFirstToken
  "$java_home/bin/java" -cp "$tmp/probe" "$class" "$port" "Once upon a time" 300 > "$tmp/probe.out" 2> "$tmp/probe.err" &
  cpid=$!
  for _ in $(seq 1 1000); do grep -q '^ready' "$tmp/probe.out" 2>/dev/null && break; sleep 0.01; done
  start=$(now_ns)
  "$@" > "$tmp/server.log" 2>&1 &
  server=$!
  wait "$cpid" || true
  token=$(sed -n 2p "$tmp/probe.out")
  rss=""
  # the launcher execs, so $server is the JVM itself; llama-server likewise
  if [ -r "/proc/$server/status" ]; then rss=$(awk '/VmRSS/{print int($2 / 1024)}' "/proc/$server/status"); fi
  kill "$server" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; server=
  if [ -z "$token" ]; then
    echo "no first token: server log tail and probe output follow" >&2; tail -n 5 "$tmp/server.log" >&2
    cat "$tmp/probe.err" 2>/dev/null >&2 || true; exit 1
  fi
  ms=$(( (token - start) / 1000000 ))
}

# Each model's configurations (Ember REST and gRPC, without and with the AOT cache; llama-server) take turns: round r
# starts each of them once, so a drift in the machine's speed during the benchmark (this VM has them) reaches every
# configuration alike, and the ratios to llama-server compare runs made side by side.
# add_config LABEL PROTO ENV CMD: one configuration of the current model (ENV: VAR=value words for the command, or "").
add_config() {
  labels+=("$1"); protos+=("$2"); envs+=("$3"); cmds+=("$4")
}

# median FILE: the median of the numbers in FILE, one per line (the lower middle one for an even count).
median() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# summary I: the median and max of configuration I's runs, its RSS range, and its ratio to llama-server's median.
summary() {
  local i=$1 r med max ratio=""
  r=$(sort -n "$tmp/rss.$i" 2>/dev/null | awk 'NR==1{lo=$1} {hi=$1} END {if (NR) printf ", RSS %d-%d MiB", lo, hi}')
  med=$(median "$tmp/ms.$i")
  max=$(sort -n "$tmp/ms.$i" | tail -n 1)
  if [ -n "$ref" ] && [ "$i" != "$ref" ]; then
    ratio=$(awk -v a="$med" -v b="$(median "$tmp/ms.$ref")" 'BEGIN {printf ", %.1fx llama-server", a / b}')
  fi
  echo "${labels[$i]}: median $med ms, max $max ms over $(wc -l < "$tmp/ms.$i") runs$r$ratio" | tee -a "$tmp/summary"
}

for model in "$@"; do
  name=$(basename "$model" .gguf)
  echo "== $name"
  labels=(); protos=(); envs=(); cmds=(); ref=
  for proto in rest grpc; do
    add_config "$name ember $proto, no AOT cache" $proto EMBER_AOT_CACHE=off "./ember serve --model $model --port $port"
    if [ -s "$cache" ]; then
      add_config "$name ember $proto, AOT cache" $proto "" "./ember serve --model $model --port $port"
    fi
  done
  [ -s "$cache" ] || echo "  ($cache is missing: ./mvnw package or ./ember aot-train makes it; AOT runs skipped)"
  if [ -x "$llama" ]; then
    ref=${#labels[@]}
    add_config "$name llama-server rest" rest "" "$llama -m $model --port $port -c 512 -np 1"
  fi
  rm -f "$tmp"/ms.* "$tmp"/rss.*
  for r in $(seq 1 "$runs"); do
    for i in "${!labels[@]}"; do
      # shellcheck disable=SC2086  # ENV and the command are words without quoting inside (paths without spaces)
      run_once "${protos[$i]}" env ${envs[$i]} ${cmds[$i]}
      echo "  ${labels[$i]} run $r: first token after ${ms} ms${rss:+, RSS ${rss} MiB}"
      echo "$ms" >> "$tmp/ms.$i"; [ -n "$rss" ] && echo "$rss" >> "$tmp/rss.$i"
      if [ "${labels[$i]}" != "${labels[$i]%, AOT cache}" ] && ! grep -q 'AOT cache used' "$tmp/server.log"; then
        echo "  (warning: this run did not log 'AOT cache used': $(grep -o 'AOT cache ignored: .*' "$tmp/server.log" | head -c 200))"
      fi
    done
  done
  for i in "${!labels[@]}"; do summary "$i"; done
done
echo "== summary"
cat "$tmp/summary"
