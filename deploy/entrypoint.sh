#!/bin/sh
# Container entrypoint: `ember serve` requires --model, so it is taken from EMBER_MODEL (a path
# on the model volume, or hf://OWNER/REPO/FILE[@REV] cached under EMBER_CACHE) unless the
# container arguments pass --model themselves. All arguments go on to `serve`.
set -eu
home="${EMBER_HOME:-/opt/ember}"
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
# JAVA_OPTS carries heap/GC flags; the module flags are required (Vector API, FFM mmap).
# shellcheck disable=SC2086
exec java --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -XX:+UseParallelGC -Xmn64m -Xss4m ${JAVA_OPTS:-} \
  -jar "$home/quarkus-app/quarkus-run.jar" serve "$@"
