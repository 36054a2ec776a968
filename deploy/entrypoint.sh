#!/bin/sh
# Container entrypoint.
#   entrypoint.sh [serve options]   `ember serve`; --model is taken from EMBER_MODEL (a path on the model
#                                   volume, or hf://OWNER/REPO/FILE[@REV] cached under EMBER_CACHE) unless
#                                   the arguments pass --model themselves. With $EMBER_HOME/ember.aot present
#                                   (the image build makes it) the JVM starts from that AOT cache;
#                                   EMBER_AOT_CACHE=off starts without it.
#   entrypoint.sh aot-train --model F [serve options]
#                                   the AOT cache's training run (the image build runs it): starts the server
#                                   with the same JVM flags, drives it over REST and gRPC, and the JVM writes
#                                   $EMBER_HOME/ember.aot on exit.
set -euf   # -f: the CompileCommand pattern below must not glob
home="${EMBER_HOME:-/opt/ember}"
jar="$home/quarkus-app/quarkus-run.jar"
cache="$home/ember.aot"
# The JVM flags of ./ember: the module flags are required (Vector API, FFM mmap), and so are the EnableVector* flags
# with the image's linked runtime, whose AOT cache restores the module graph (see ./ember); the CompileCommand lowers
# C2's thresholds for the CPU kernels and the compiler directives keep C2 on them (see ./ember). JAVA_OPTS carries
# heap flags. A cache only serves a JVM started with the flags it was trained with: training and serving share this.
jvm="--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xmn32m -Xss4m
 -XX:+UnlockExperimentalVMOptions -XX:+EnableVectorSupport -XX:+EnableVectorReboxing -XX:+EnableVectorAggressiveReboxing
 -XX:CompileCommand=quiet -XX:CompileCommand=CompileThresholdScaling,dev.ember.compute.cpu.*::*,0.01
 -XX:CompileCommand=CompileThresholdScaling,dev.ember.compute.cpu.Q4_0x8Kernel::*,0.1
 -XX:CompileCommand=CompileThresholdScaling,dev.ember.compute.cpu.Q4_Kx8Kernel::*,0.1
 -XX:CompileCommand=CompileThresholdScaling,dev.ember.compute.cpu.Q6_Kx8Kernel::*,0.1
 -XX:+UnlockDiagnosticVMOptions -XX:CompilerDirectivesFile=$home/jit-directives.json -XX:+DisplayVMOutputToStderr
 -XX:Tier4BackEdgeThreshold=400000 -XX:Tier3DelayOn=100000"
if [ "${1:-}" = aot-train ]; then
  shift
  rm -f "$cache"
  # shellcheck disable=SC2086
  java $jvm ${JAVA_OPTS:-} -XX:AOTCacheOutput="$cache" -Xlog:aot=error -jar "$jar" aot-train "$@"
  [ -s "$cache" ] || { echo "ember: the training run wrote no AOT cache at $cache" >&2; exit 1; }
  echo "ember: AOT cache written: $cache"
  exit 0
fi
has_model=no
for arg in "$@"; do
  case "$arg" in --model|--model=*) has_model=yes ;; esac
done
if [ "$has_model" = no ]; then
  if [ -z "${EMBER_MODEL:-}" ]; then
    echo "ember: set EMBER_MODEL (/models/model.gguf or hf://OWNER/REPO/FILE.gguf) or pass --model" >&2
    exit 2
  fi
  set -- --model "$EMBER_MODEL" "$@"
fi
aot=""
if [ "${EMBER_AOT_CACHE:-}" != off ] && [ -s "$cache" ]; then
  # the app logs "AOT cache used" or, when the JVM could not map it (other GC or module flags in JAVA_OPTS),
  # "AOT cache ignored" and starts normally
  aot="-XX:AOTCache=$cache -Dember-aot-cache=$cache"
fi
# shellcheck disable=SC2086
exec java $jvm ${JAVA_OPTS:-} $aot -jar "$home/quarkus-app/quarkus-run.jar" serve "$@"
