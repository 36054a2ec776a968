#!/usr/bin/env bash
# The device check for a machine with an NVIDIA GPU and no JDK, within a 10-minute budget. Carry
# perf/out/gpu-kit.tar.xz (made by perf/gpu-kit.sh) and run from the repository root:
#   bash perf/gpu-check.sh [KIT]
# 1. one table, java reference / opencl / cuda: the kernel ops tests, the CUDA backend's own tests, the engine
#    on each backend, and parity vs llama.cpp on the fixtures the kit carries (perf/gpu-kit.sh chooses them);
# 2. a speed run: ember bench on a llama-1b-shaped Q4_0 file made on the spot, cuda vs opencl vs cpu.
set -uo pipefail
KIT=${1:-perf/out/gpu-kit}
[ -d "$KIT" ] || tar -C perf/out -xJf perf/out/gpu-kit.tar.xz
J="$KIT/jre/bin/java"
FLAGS=(--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xss4m)
CP="$KIT/classes:$KIT/test-classes:$KIT/lib/*"
export EMBER_OPENCL_DEVICE=${EMBER_OPENCL_DEVICE:-}
echo "== machine"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "no nvidia-smi"
nproc; "$J" -version 2>&1 | head -1
ls /usr/lib/x86_64-linux-gnu/libOpenCL.so* /usr/lib/x86_64-linux-gnu/libcuda.so* 2>/dev/null
ls -d /usr/local/cuda*/lib64/libnvrtc.so* 2>/dev/null | head -3

echo "== ops, cuda, engine and parity x backends"
timeout 360 "$J" "${FLAGS[@]}" -Dember.fixtures="$KIT/fixtures" \
  -Dember.opencl.cache-dir=/tmp/ember-ocl -Dember.cuda.cache-dir=/tmp/ember-cuda -cp "$CP" dev.ember.testing.BackendCheck
check=$?

echo "== speed: llama-1b-shaped Q4_0, pp128 / tg32"
M=/tmp/llama-1b-q4_0.gguf
[ -f $M ] || "$J" "${FLAGS[@]}" -cp "$CP" dev.ember.cli.EmberMain make-model --shape llama-1b --quant q4_0 --seed 1 --out $M --fixtures "$KIT/fixtures" >/dev/null
for b in cuda opencl cpu; do
  threads=$([ $b = cpu ] && nproc || echo 1)
  timeout 120 "$J" "${FLAGS[@]}" -Dember.opencl.cache-dir=/tmp/ember-ocl -Dember.cuda.cache-dir=/tmp/ember-cuda -cp "$CP" \
    dev.ember.cli.EmberMain bench --backend $b --model $M --pp 128 --tg 32 --repeat 3 --threads "$threads" 2>&1 | grep -E '^\|' | grep -v -- '---' | grep -v '^| model' || echo "| $b | failed or timed out |"
done
exit $check
