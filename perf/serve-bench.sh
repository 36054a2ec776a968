#!/usr/bin/env bash
# Serving benchmark: Ember (`./ember serve`) vs llama.cpp's llama-server on the same GGUF file, driven by
# perf/LoadGen.java (random token-id prompts, streaming /v1/completions, ignore_eos, temperature 0).
# Writes perf/out/serve-bench-<stamp>.md (the table) and perf/out/serve-bench-<stamp>/ (LoadGen JSON, text
# output, server logs).
#
# usage: perf/serve-bench.sh [-c "1 4 16 64"] [-i 128] [-o 128] [-n NUM_PROMPTS] [-w WARMUP] [-t THREADS]
#                            [-p SHARED_PREFIX_LEN] [-T TIMEOUT_S] [-b BAN_FROM-BAN_TO] MODEL.gguf
#   -n  prompts per concurrency (default 4 x C, at least 8)     -w  warm-up requests (default min(C, 8))
#   -t  threads for both servers (default nproc)                -p  shared-prefix mode (LoadGen --shared-prefix-len)
#   -b  token ids both servers are told never to emit (LoadGen --ban-tokens; default 3-258, the byte-fallback tokens
#       of a llama SPM vocabulary, whose invalid UTF-8 makes llama-server end streams with HTTP 500; "none": no ban)
#   LLAMA_SERVER=path (default ../llama.cpp/src/build/bin/llama-server beside the checkout, or
#   /work/llama.cpp/src/build/bin/llama-server); EMBER_PORT (18080), LLAMA_PORT (18081);
#   EMBER_ARGS / LLAMA_ARGS: extra server options. The app must be built (./mvnw package -DskipTests).
#
# What it runs, with CTX = in + out + 16 (+ prefix) and S = the seed = C:
#   ./ember serve --model F --port $EMBER_PORT --max-num-seqs 64 --threads T --ctx-size CTX \
#       --kv-cache-tokens $((max(C) * CTX))                                   (once, for every C)
#   for each C:
#     java -cp <classes> LoadGen --url http://127.0.0.1:$EMBER_PORT --input-len in --output-len out --ban-tokens 3-258 \
#         --num-prompts N --concurrency C --warmup W --seed S --json .../ember-cC.json
#     llama-server -m F -np C -c $((C * CTX)) --port $LLAMA_PORT -t T -tb T --metrics
#     java -cp <classes> LoadGen --url http://127.0.0.1:$LLAMA_PORT ... (same arguments) --json .../llama-cC.json
#     (llama-server stopped)
#   Ember and llama-server are thus interleaved per concurrency; the same seed gives both the same prompts.
#   The seed differs per C so that a prefix cache cannot serve one concurrency's prompts from the previous one.
# Both servers use the same thread count; LoadGen runs on the same machine (it takes some CPU too).
set -euo pipefail
cd "$(dirname "$0")/.."

concs="1 4 16 64" in=128 out=128 nprompts="" warm="" threads=$(nproc) prefix=0 timeout=600 ban=3-258
while getopts "c:i:o:n:w:t:p:T:b:" o; do
  case $o in
    c) concs=$OPTARG ;; i) in=$OPTARG ;; o) out=$OPTARG ;; n) nprompts=$OPTARG ;; w) warm=$OPTARG ;;
    t) threads=$OPTARG ;; p) prefix=$OPTARG ;; T) timeout=$OPTARG ;; b) ban=$OPTARG ;; *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { sed -n '7,16p' "$0" >&2; exit 2; }
model=$1
[ -f "$model" ] || { echo "serve-bench: no model file $model" >&2; exit 1; }

llama=${LLAMA_SERVER:-../llama.cpp/src/build/bin/llama-server}
[ -x "$llama" ] || llama=/work/llama.cpp/src/build/bin/llama-server
[ -x "$llama" ] || { echo "serve-bench: llama-server not found (set LLAMA_SERVER)" >&2; exit 1; }
[ -f target/quarkus-app/quarkus-run.jar ] || { echo "serve-bench: build Ember first: ./mvnw package -DskipTests" >&2; exit 1; }
if [ -z "${JAVA_HOME:-}" ] && [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]; then export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64; fi
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
javac="${JAVA_HOME:+$JAVA_HOME/bin/}javac"
eport=${EMBER_PORT:-18080} lport=${LLAMA_PORT:-18081}

stamp=$(date -u +%Y%m%dT%H%M%SZ)
dir=perf/out/serve-bench-$stamp
md=perf/out/serve-bench-$stamp.md
mkdir -p "$dir/classes"
"$javac" -d "$dir/classes" perf/LoadGen.java   # compiled once instead of a source launch per run

ctx=$((in + out + 16 + prefix))
maxc=0; for c in $concs; do if [ "$c" -gt "$maxc" ]; then maxc=$c; fi; done

pids=()
stop() { # stop one server we started, by pid
  kill "$1" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.2; done
  kill -9 "$1" 2>/dev/null || true
}
cleanup() { for p in "${pids[@]}"; do stop "$p"; done; }
trap cleanup EXIT

wait_health() { # port pid name
  for _ in $(seq 600); do
    kill -0 "$2" 2>/dev/null || { echo "serve-bench: $3 exited during start-up (see $dir)" >&2; exit 1; }
    curl -sf "http://127.0.0.1:$1/health" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "serve-bench: $3 not healthy after 300 s" >&2; exit 1
}

loadgen() { # port concurrency label jsonfile
  local c=$2 n=${nprompts:-$(( 4 * $2 > 8 ? 4 * $2 : 8 ))} w=${warm:-$(( $2 < 8 ? $2 : 8 ))}
  local args=(--url "http://127.0.0.1:$1" --input-len "$in" --output-len "$out" --num-prompts "$n" --concurrency "$c"
              --warmup "$w" --seed "$c" --timeout "$timeout" --label "$3" --json "$4")
  if [ "$prefix" -gt 0 ]; then args+=(--shared-prefix-len "$prefix"); fi
  if [ "$ban" != none ]; then args+=(--ban-tokens "$ban"); fi
  echo "+ LoadGen ${args[*]}" >> "$dir/commands.txt"
  "$java" -cp "$dir/classes" LoadGen "${args[@]}" 2>&1 | tee -a "$dir/loadgen.txt"
}

echo "serve-bench: model $model, concurrencies $concs, input $in, output $out, threads $threads, out $md" >&2
ember_cmd=(./ember serve --model "$model" --port "$eport" --max-num-seqs 64 --threads "$threads" --ctx-size "$ctx"
           --kv-cache-tokens $((maxc * ctx)) ${EMBER_ARGS:-})
echo "+ ${ember_cmd[*]}" >> "$dir/commands.txt"
"${ember_cmd[@]}" > "$dir/ember.log" 2>&1 &
epid=$!; pids+=("$epid")
wait_health "$eport" "$epid" ember

for c in $concs; do
  loadgen "$eport" "$c" "ember C=$c" "$dir/ember-c$c.json"
  llama_cmd=("$llama" -m "$model" -np "$c" -c $((c * ctx)) --port "$lport" -t "$threads" -tb "$threads" --metrics ${LLAMA_ARGS:-})
  echo "+ ${llama_cmd[*]}" >> "$dir/commands.txt"
  "${llama_cmd[@]}" > "$dir/llama-c$c.log" 2>&1 &
  lpid=$!; pids+=("$lpid")
  wait_health "$lport" "$lpid" llama-server
  loadgen "$lport" "$c" "llama-server -np $c C=$c" "$dir/llama-c$c.json"
  stop "$lpid"
done
stop "$epid"

llama_rev=$(git -C "$(dirname "$llama")/../.." rev-parse --short HEAD 2>/dev/null \
  || "$llama" --version 2>&1 | grep -m1 '^version' || echo unknown)
llama_rev="$llama_rev ($llama)"
python3 - "$dir" "$model" "$in" "$out" "$threads" "$prefix" "$concs" "$(git describe --always --dirty)" "$llama_rev" "$ban" > "$md" <<'PY'
import json, os, platform, sys
d, model, i, o, t, prefix, concs, erev, lrev, ban = sys.argv[1:]
concs = [int(c) for c in concs.split()]
cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), platform.machine())
print(f"# Serving benchmark: Ember vs llama-server\n")
print(f"- model: `{model}`; input {i} tokens{f' after a shared prefix of {prefix}' if prefix != '0' else ''}, output {o} tokens "
      f"(ignore_eos, temperature 0, streaming), random token-id prompts"
      + (f"; token ids {ban} banned (logit_bias -100) for both servers" if ban != 'none' else ""))
print(f"- {os.cpu_count()} CPUs ({cpu}), {t} threads per server; Ember {erev}, llama.cpp {lrev}")
print(f"- commands: `{d}/commands.txt`; raw LoadGen output: `{d}/loadgen.txt`, JSON per run in `{d}/`")
print("- ratio row: Ember / llama-server (output tok/s: higher is better for Ember; latencies: lower is better for Ember)\n")
cols = ["C", "server", "ok/failed", "output tok/s", "TTFT p50 ms", "TTFT p99 ms", "ITL p50 ms", "ITL p99 ms", "TPOT mean ms", "TPOT p50 ms"]
if prefix != '0': cols += ["TTFT req 1 ms", "TTFT req 2..N p50 ms"]
print("| " + " | ".join(cols) + " |")
print("| " + " | ".join(["---:", "---"] + ["---:"] * (len(cols) - 2)) + " |")
def vals(j):
    v = [j["output_throughput"], j["ttft_ms"]["median"], j["ttft_ms"]["p99"], j["itl_ms"]["median"], j["itl_ms"]["p99"],
         j["tpot_ms"]["mean"], j["tpot_ms"]["median"]]
    if prefix != '0':
        sp = j.get("shared_prefix") or {}
        v += [sp.get("ttft_first_ms"), (sp.get("ttft_rest_ms") or {}).get("median")]
    return v
fmt = lambda x: "n/a" if x is None else f"{x:.2f}"
for c in concs:
    rows = {}
    for name, f in (("Ember", f"ember-c{c}.json"), (f"llama-server -np {c}", f"llama-c{c}.json")):
        p = os.path.join(d, f)
        if not os.path.exists(p):
            print(f"| {c} | {name} | (no result) |" + " |" * (len(cols) - 3)); continue
        j = json.load(open(p)); rows[name] = vals(j)
        print(f"| {c} | {name} | {j['completed']}/{j['failed']} | " + " | ".join(fmt(x) for x in rows[name]) + " |")
    if len(rows) == 2:
        e, l = rows.values()
        r = [None if (a is None or b in (None, 0)) else a / b for a, b in zip(e, l)]
        print(f"| {c} | Ember / llama-server | | " + " | ".join(fmt(x) for x in r) + " |")
PY
cat "$md"
