#!/usr/bin/env bash
# deploy/: manifests against the published schemas (src/test/deploy/validate.mjs), the Dockerfile
# linted, the container entrypoint's argument handling, and the probe paths the manifests name
# answered by the packaged app started through deploy/entrypoint.sh. Run by .ci/run after packaging.
set -uo pipefail
cd "$(dirname "$0")/../../.."
fx=../shared/fixtures
port=${EMBER_DEPLOY_TEST_PORT:-18081}
passed=0; failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }
tmp=$(mktemp -d)
server=
cleanup() { [ -n "$server" ] && { kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; }; rm -rf "$tmp"; }
trap cleanup EXIT

(cd src/test/deploy && npm ci --no-audit --no-fund --loglevel=error) || { echo "deploy: npm ci failed"; exit 1; }

# 1. Schemas and invariants, with their negative checks.
out=$(cd src/test/deploy && node validate.mjs); rc=$?
echo "$out" | grep -v '^manifests:'
counts=$(echo "$out" | sed -n 's/^manifests: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')
if [ -z "$counts" ]; then fail "validate.mjs printed no summary (rc=$rc)"; else
  set -- $counts; passed=$((passed + $1)); failed=$((failed + $2))
  [ "$rc" -eq 0 ] || [ "$2" -gt 0 ] || fail "validate.mjs exited $rc"
fi

# 2. Dockerfile lint (dockerfilelint), and a broken Dockerfile must be flagged.
lint=src/test/deploy/node_modules/.bin/dockerfilelint
if "$lint" deploy/Dockerfile > "$tmp/lint.txt" 2>&1; then pass "dockerfilelint deploy/Dockerfile"
else fail "dockerfilelint deploy/Dockerfile"; cat "$tmp/lint.txt"; fi
{ cat deploy/Dockerfile; echo 'RUN apt-get install curl'; } > "$tmp/Dockerfile.broken"
if "$lint" "$tmp/Dockerfile.broken" > /dev/null 2>&1; then fail "dockerfilelint accepted a broken Dockerfile"
else pass "dockerfilelint rejects a broken Dockerfile"; fi

# 2b. cfn-lint (AWS's CloudFormation/SAM linter) on the SAM template where the machine has it; a broken copy must fail.
if command -v cfn-lint > /dev/null && cfn-lint --version > /dev/null 2>&1; then
  if cfn-lint deploy/lambda/template.yaml > "$tmp/cfn.txt" 2>&1; then pass "cfn-lint deploy/lambda/template.yaml ($(cfn-lint --version))"
  else fail "cfn-lint deploy/lambda/template.yaml"; cat "$tmp/cfn.txt"; fi
  sed 's/!GetAtt EmberFunctionUrl.FunctionUrl/!GetAtt EmberFunctionUri.FunctionUrl/' deploy/lambda/template.yaml > "$tmp/template.broken.yaml"
  if cfn-lint "$tmp/template.broken.yaml" > /dev/null 2>&1; then fail "cfn-lint accepted a template with an unknown resource"
  else pass "cfn-lint rejects a template with an unknown resource"; fi
else
  echo "skip cfn-lint: not installed here (the SAM template is checked structurally above)"
fi

# 3. The entrypoint's arguments, with a stub java that prints them.
mkdir -p "$tmp/bin"; printf '#!/bin/sh\necho "$@"\n' > "$tmp/bin/java"; chmod +x "$tmp/bin/java"
entry() { env -i PATH="$tmp/bin:/usr/bin:/bin" "$@"; }
got=$(entry EMBER_MODEL=/models/model.gguf sh deploy/entrypoint.sh --ctx-size 512)
case "$got" in *"-jar /opt/ember/quarkus-app/quarkus-run.jar serve --model /models/model.gguf --ctx-size 512") pass "entrypoint: --model from EMBER_MODEL";;
  *) fail "entrypoint: --model from EMBER_MODEL: $got";; esac
got=$(entry EMBER_MODEL=/models/model.gguf sh deploy/entrypoint.sh --model=/m/x.gguf)
case "$got" in *"serve --model=/m/x.gguf") pass "entrypoint: an explicit --model wins";; *) fail "entrypoint: explicit --model: $got";; esac
case "$got" in *--add-modules=jdk.incubator.vector*--enable-native-access=ALL-UNNAMED*) pass "entrypoint: JVM module flags";;
  *) fail "entrypoint: JVM module flags: $got";; esac
if entry sh deploy/entrypoint.sh > /dev/null 2>&1; then fail "entrypoint: started without a model"
else pass "entrypoint: refuses to start without EMBER_MODEL or --model"; fi
mkdir -p "$tmp/fakehome"; echo x > "$tmp/fakehome/ember.aot"
got=$(entry EMBER_HOME="$tmp/fakehome" EMBER_MODEL=/m.gguf sh deploy/entrypoint.sh)
case "$got" in *"-XX:AOTCache=$tmp/fakehome/ember.aot -Dember-aot-cache=$tmp/fakehome/ember.aot -jar"*) pass "entrypoint: uses \$EMBER_HOME/ember.aot";;
  *) fail "entrypoint: AOT cache flags: $got";; esac
got=$(entry EMBER_HOME="$tmp/fakehome" EMBER_AOT_CACHE=off EMBER_MODEL=/m.gguf sh deploy/entrypoint.sh)
case "$got" in *AOTCache*) fail "entrypoint: EMBER_AOT_CACHE=off still passed the cache: $got";; *) pass "entrypoint: EMBER_AOT_CACHE=off starts without the cache";; esac
got=$(entry EMBER_MODEL=/m.gguf sh deploy/entrypoint.sh)
case "$got" in *"CompileThresholdScaling,dev.ember.compute.cpu.*::*,0.01"*) pass "entrypoint: the launcher's CompileCommand, unglobbed";;
  *) fail "entrypoint: CompileCommand flag: $got";; esac

# 3b. The launcher, the entrypoint and the SAM template start the JVM with the same flags (a stub JDK prints what
#     ./ember passes; the directives file's folder differs per install, JAVA_OPTS-style heap flags are left out).
mkdir -p "$tmp/jdk/bin"; printf '#!/bin/sh\ncase "$1" in -version) echo "openjdk version \\"25\\"" >&2;; *) echo "$@";; esac\n' > "$tmp/jdk/bin/java"
chmod +x "$tmp/jdk/bin/java"
jvm_flags() { sed 's/ -jar .*//; s/ -XX:AOTCache=[^ ]*//; s/ -Dember-aot-cache[^ ]*//; s/ -XX:MaxRAMPercentage=[0-9]*//; s#CompilerDirectivesFile=[^ ]*/#CompilerDirectivesFile=#' | tr ' ' '\n' | grep -v '^$'; }
launcher=$(env -i PATH=/usr/bin:/bin JAVA_HOME="$tmp/jdk" EMBER_RUNTIME=jdk EMBER_AOT_CACHE=off bash ./ember tokenize 2>/dev/null | jvm_flags)
entrypoint=$(entry EMBER_MODEL=/m.gguf sh deploy/entrypoint.sh | jvm_flags)
lambda=$(sed -n 's/^ *JAVA_TOOL_OPTIONS: "\(.*\)"$/\1/p' deploy/lambda/template.yaml | jvm_flags)
if [ -z "$launcher" ] || ! grep -q CompilerDirectivesFile=jit-directives.json <<<"$launcher"; then
  fail "launcher flags not read from ./ember (is target/quarkus-app built?): '$launcher'"
elif [ "$launcher" = "$entrypoint" ] && [ "$launcher" = "$lambda" ]; then
  pass "./ember, deploy/entrypoint.sh and the SAM template pass the same JVM flags ($(wc -l <<<"$launcher"))"
else fail "JVM flags differ: ./ember [$(paste -sd' ' <<<"$launcher")] entrypoint [$(paste -sd' ' <<<"$entrypoint")] lambda [$(paste -sd' ' <<<"$lambda")]"; fi
grep -q '/var/task/jit-directives.json' deploy/lambda/template.yaml && [ -f src/main/zip.jvm/jit-directives.json ] \
  && pass "the SAM template's directives file is the one the Lambda build zips (src/main/zip.jvm -> /var/task)" \
  || fail "the SAM template's CompilerDirectivesFile is not src/main/zip.jvm's file in /var/task"

# wait_ready: polls the readiness path of the server $server for up to 60 s; its last HTTP status is in $code.
wait_ready() {
  code=000
  for _ in $(seq 1 120); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$ready" || true)
    [ "$code" = 200 ] && break
    kill -0 "$server" 2>/dev/null || break
    sleep 0.5
  done
}

# 4. The real app through the entrypoint: the manifests' probe paths must answer 200 once the model is loaded.
ready=$(sed -n '/readinessProbe:/,/path:/s/.*path: *//p' deploy/knative/service.yaml)
live=$(sed -n '/livenessProbe:/,/path:/s/.*path: *//p' deploy/knative/service.yaml)
java_home="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
if [ ! -f target/quarkus-app/quarkus-run.jar ] || [ ! -d "$fx/models" ]; then
  fail "probe paths: target/quarkus-app or $fx is missing (package the app first)"
else
  # 4a. The image build's AOT training run, through the entrypoint, into a home laid out like /opt/ember.
  mkdir -p "$tmp/home"; ln -s "$PWD/target/quarkus-app" "$tmp/home/quarkus-app"
  ln -s "$PWD/src/main/zip.jvm/jit-directives.json" "$tmp/home/jit-directives.json"  # the Dockerfile's COPY
  if env PATH="$java_home/bin:$PATH" EMBER_HOME="$tmp/home" sh deploy/entrypoint.sh aot-train \
      --model "$fx/models/stories260K-f32.gguf" --chat-template deploy/train-chat.jinja --port 0 > "$tmp/train.log" 2>&1 \
      && [ -s "$tmp/home/ember.aot" ]; then pass "entrypoint aot-train writes \$EMBER_HOME/ember.aot"
  else fail "entrypoint aot-train"; tail -n 20 "$tmp/train.log"; fi
  # 4b. A JVM flag the cache was not trained with: logged as ignored, and the server still answers.
  env PATH="$java_home/bin:$PATH" EMBER_HOME="$tmp/home" EMBER_MODEL="$fx/models/stories260K-f32.gguf" JAVA_OPTS="-XX:-UseCompressedOops" \
    sh deploy/entrypoint.sh --port "$port" --ctx-size 512 > "$tmp/mismatch.log" 2>&1 &
  server=$!
  wait_ready
  if [ "$code" = 200 ] && grep -q "AOT cache ignored: the JVM could not map $tmp/home/ember.aot" "$tmp/mismatch.log"; then
    pass "a cache trained with other JVM flags is logged as ignored and the server still starts"
  else fail "AOT cache flag mismatch (readiness $code)"; grep -iE 'aot' "$tmp/mismatch.log"; fi
  kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; server=
  # 4c. The server as the image starts it, with the cache.
  env PATH="$java_home/bin:$PATH" EMBER_HOME="$tmp/home" EMBER_MODEL="$fx/models/stories260K-f32.gguf" \
    sh deploy/entrypoint.sh --port "$port" --ctx-size 512 > "$tmp/server.log" 2>&1 &
  server=$!
  wait_ready
  if grep -q "AOT cache used: $tmp/home/ember.aot" "$tmp/server.log"; then pass "the entrypoint starts from the trained AOT cache"
  else fail "the AOT cache was not used"; grep -iE 'aot' "$tmp/server.log"; fi
  if [ "$code" = 200 ]; then pass "readiness path $ready answers 200 with the model loaded"
  else fail "readiness path $ready answered $code"; cat "$tmp/server.log"; fi
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$live" || true)
  [ "$code" = 200 ] && pass "liveness path $live answers 200" || fail "liveness path $live answered $code"
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/q/health/none" || true)
  [ "$code" = 404 ] && pass "an unknown probe path is a 404 (the check can fail)" || fail "unknown probe path answered $code"
  code=$(curl -s -o /dev/null -w '%{http_code}' --http2-prior-knowledge "http://127.0.0.1:$port$ready" || true)
  [ "$code" = 200 ] && pass "h2c (HTTP/2 prior knowledge) on the one port" || fail "h2c on port $port answered $code"
fi

echo "deploy: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
