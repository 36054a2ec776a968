#!/usr/bin/env bash
# The official openai npm client against ./ember serve (stories260K from the fixtures). Run by .ci/run after packaging.
set -euo pipefail
cd "$(dirname "$0")/../../.."
fx=../shared/fixtures
port=${EMBER_TEST_PORT:-18080}
log=$(mktemp)
(cd src/test/js && npm ci --no-audit --no-fund --loglevel=error)
./ember serve --model $fx/models/stories260K-f32.gguf --port "$port" --ctx-size 512 \
  --chat-template $fx/templates/Qwen-Qwen2.5-7B-Instruct.jinja > "$log" 2>&1 &
server=$!
stop_server() { kill $server 2>/dev/null; wait $server 2>/dev/null || true; rm -f "$log"; }
trap stop_server EXIT
for _ in $(seq 1 120); do
  if curl -sf "http://127.0.0.1:$port/health" > /dev/null; then break; fi
  if ! kill -0 $server 2>/dev/null; then echo "ember serve exited:"; cat "$log"; exit 1; fi
  sleep 0.5
done
curl -sf "http://127.0.0.1:$port/health" > /dev/null || { echo "ember serve did not become healthy:"; cat "$log"; exit 1; }
rc=0
(cd src/test/js && EMBER_URL="http://127.0.0.1:$port" npm test) || rc=$?
stop_server
trap - EXIT
exit $rc
