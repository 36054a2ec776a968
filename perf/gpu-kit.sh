#!/usr/bin/env bash
# Builds perf/out/gpu-kit: what perf/gpu-check.sh needs on a GPU machine that has no JDK — a jlink'd Java
# runtime with only the modules the engine uses, the engine and test classes (no Quarkus: the engine core and
# the CLI's engine commands run without it), the few jars they need, and the fixtures the device parity test
# reads: stories260K and two synthetic dim-256 files whose tensors are Q4_K / Q5_0 / Q6_K / Q8_0 (the K-quant
# device matmuls; stories260K's 64-wide tensors have no K-quant blocks).
# Run here after `./mvnw -o test-compile` (or package); the device run carries perf/out/gpu-kit.
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
FIX=${EMBER_FIXTURES:-../shared/fixtures}
KIT=perf/out/gpu-kit
rm -rf "$KIT"
mkdir -p "$KIT/lib" "$KIT/fixtures/models" "$KIT/fixtures/reference" "$KIT/fixtures/tokenizer"
[ -d target/test-classes ] || ./mvnw -o -q test-compile
cp -r target/classes "$KIT/classes"
cp -r target/test-classes "$KIT/test-classes"
# Engine + test runtime jars: Jackson (CLI JSON, fixtures), JavaParser (kernel translation), Mutiny (engine
# streams), JUnit (the ops table). Quarkus and the server stack stay behind.
./mvnw -o -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$KIT/classpath.txt" >/dev/null
tr ':' '\n' < "$KIT/classpath.txt" | grep -E '/(jackson-(core|databind|annotations)|javaparser-core|mutiny|jctools-core|junit-jupiter-(api|engine|params)|junit-platform-(commons|engine|launcher)|opentest4j|apiguardian-api)-[0-9][^/]*\.jar$' \
  | xargs -I{} cp {} "$KIT/lib/"
rm "$KIT/classpath.txt"
"$JAVA_HOME/bin/jlink" --add-modules java.base,java.logging,jdk.unsupported,jdk.incubator.vector \
  --strip-debug --no-man-pages --no-header-files --compress=zip-9 --output "$KIT/jre"
cp "$FIX"/models/stories260K-* "$KIT/fixtures/models/"
cp "$FIX"/reference/stories260K-* "$KIT/fixtures/reference/"
for m in synth-llama-spm-256-q4_k_m synth-llama-spm-256-q6_k; do
  cp "$FIX/models/$m".* "$KIT/fixtures/models/"
  cp "$FIX/reference/$m"__* "$KIT/fixtures/reference/"
done
cp "$FIX"/tokenizer/ggml-vocab-llama-spm.gguf "$KIT/fixtures/tokenizer/"
cp perf/gpu-check.sh "$KIT/"
# One compressed file to carry (the device run's carry limit is 64 MiB).
tar -C perf/out -cJf perf/out/gpu-kit.tar.xz gpu-kit
du -sh "$KIT" perf/out/gpu-kit.tar.xz
