#!/usr/bin/env bash
# Ember vs llama.cpp on the same GGUF files, interleaved A B A B, one repetition per invocation.
# Writes perf/out/cpu-bench-<stamp>.{jsonl,md}; the table goes into perf/RESULTS.md by hand (with the command).
#
# usage: perf/cpu-bench.sh [-r ROUNDS] [-t THREADS] [-p PP] [-n TG] MODEL.gguf...
#   LLAMA_BENCH=path/to/llama-bench (default: ../llama.cpp/src/build/bin/llama-bench beside the checkout)
# llama.cpp is built from source beside the project, never committed:
#   git clone <llama.cpp> ../llama.cpp/src && cmake -S ../llama.cpp/src -B ../llama.cpp/src/build -DCMAKE_BUILD_TYPE=Release \
#     -DGGML_NATIVE=ON -DGGML_OPENMP=ON -DLLAMA_CURL=OFF && cmake --build ../llama.cpp/src/build -j2 --target llama-bench
# Where GitHub is out of reach but npm is not: `npm pack node-llama-cpp@3.22.1` holds a llama.cpp release as a git
# bundle (package/llama/gitRelease.bundle); `git clone` that bundle to ../llama.cpp/src (perf/RESULTS.md, eleventh session).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=5 threads=2 pp=128 tg=64
while getopts "r:t:p:n:" o; do
  case $o in r) rounds=$OPTARG ;; t) threads=$OPTARG ;; p) pp=$OPTARG ;; n) tg=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "usage: $0 [-r R] [-t T] [-p PP] [-n TG] MODEL.gguf..." >&2; exit 2; }
llama=${LLAMA_BENCH:-../llama.cpp/src/build/bin/llama-bench}
[ -x "$llama" ] || { echo "llama-bench not found at $llama (set LLAMA_BENCH)" >&2; exit 1; }
mkdir -p perf/out
stamp=$(date -u +%Y%m%dT%H%M%SZ)
raw=perf/out/cpu-bench-$stamp.jsonl
: > "$raw"
for m in "$@"; do
  for r in $(seq 1 "$rounds"); do
    # A: Ember (one warm-up pass inside, then one timed repetition)
    ./ember bench --model "$m" --pp "$pp" --tg "$tg" --threads "$threads" --repeat 1 --json 2>/dev/null \
      | python3 -c "import json,sys; j=json.load(sys.stdin); print(json.dumps({'engine':'ember','model':'$m','round':$r,'threads':$threads,'pp':j['pp_tps']['mean'],'tg':j['tg_tps']['mean'],'rss':j['peak_rss_bytes']}))" >> "$raw"
    # B: llama.cpp (its own warm-up, then one repetition); defaults otherwise (mmap, repack, F16 KV, flash-attn auto)
    "$llama" -m "$m" -p "$pp" -n "$tg" -t "$threads" -r 1 -o json 2>/dev/null \
      | python3 -c "
import json,sys
rows=json.load(sys.stdin); out={'engine':'llama.cpp','model':'$m','round':$r,'threads':$threads}
for x in rows:
    out['pp' if x['n_prompt']>0 else 'tg']=x['avg_ts']
print(json.dumps(out))" >> "$raw"
    echo "round $r of $(basename "$m") done" >&2
  done
done
python3 - "$raw" "$pp" "$tg" > "perf/out/cpu-bench-$stamp.md" <<'PY'
import json, statistics, sys
raw, pp, tg = sys.argv[1], sys.argv[2], sys.argv[3]
rows = [json.loads(l) for l in open(raw)]
models = list(dict.fromkeys(r['model'] for r in rows))
print(f"| model | threads | test | Ember t/s (median) | llama.cpp t/s (median) | Ember / llama.cpp | runs |")
print("| --- | ---: | --- | ---: | ---: | ---: | ---: |")
for m in models:
    for test, n in (('pp', pp), ('tg', tg)):
        e = [r[test] for r in rows if r['model'] == m and r['engine'] == 'ember']
        l = [r[test] for r in rows if r['model'] == m and r['engine'] == 'llama.cpp']
        if not e or not l: continue
        me, ml = statistics.median(e), statistics.median(l)
        t = rows[0]['threads']
        print(f"| {m.split('/')[-1]} | {t} | {test}{n} | {me:.2f} | {ml:.2f} | {me/ml:.2f} | {len(e)} |")
rss = [r['rss'] for r in rows if r['engine'] == 'ember']
print()
print(f"Ember peak RSS (max over runs): {max(rss)/1048576:.0f} MiB")
PY
cat "perf/out/cpu-bench-$stamp.md"
