#!/usr/bin/env bash
# The AOT cache end to end through ./ember (run by .ci/run after packaging): `./mvnw package` made
# target/quarkus-app/ember.aot with its stamp; ./ember serve uses it and says so; a stale stamp, other JVM
# options and a damaged cache file are each logged as "AOT cache ignored: <reason>" and the server still answers;
# the linked runtime lets the cache hold Java's module graph, with the Vector API still compiled to vector code.
set -uo pipefail
cd "$(dirname "$0")/../../.."
fx=../shared/fixtures
model=$fx/models/stories260K-f32.gguf
port=${EMBER_AOT_TEST_PORT:-18082}
cache=target/quarkus-app/ember.aot
passed=0; failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }
tmp=$(mktemp -d)
server=
cleanup() { [ -n "$server" ] && { kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; }; rm -rf "$tmp"; }
trap cleanup EXIT

# serve ENV...: starts ./ember serve with the environment given, waits for the model, runs the function named in
# $during (if any) while the server is up, asks for a completion (its text goes to $tmp/answer), stops the server;
# its log is $tmp/serve.log.
during=
serve() {
  env "$@" ./ember serve --model "$model" --port "$port" --ctx-size 128 > "$tmp/serve.log" 2>&1 &
  server=$!
  for _ in $(seq 1 240); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/health" && break
    kill -0 "$server" 2>/dev/null || break
    sleep 0.25
  done
  [ -n "$during" ] && "$during"
  curl -s "http://127.0.0.1:$port/v1/completions" -H 'Content-Type: application/json' \
    -d '{"prompt":"Once upon a time","max_tokens":8,"temperature":0}' \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["choices"][0]["text"])' > "$tmp/answer" 2>/dev/null
  kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; server=
}
answered() { [ -s "$tmp/answer" ] && [ "$(cat "$tmp/answer")" = "$(cat "$tmp/reference")" ]; }

if [ ! -s "$cache" ] || [ ! -s "$cache.stamp" ]; then
  fail "$cache and its stamp are missing: ./mvnw package makes them (profile aot-cache)"
  echo "aot: $passed passed, $failed failed"; exit 1
fi
grep -q "^app: " "$cache.stamp" && grep -q "^jvm: " "$cache.stamp" && pass "the build wrote $cache ($(( $(stat -c %s "$cache") / 1048576 )) MiB) and its stamp" \
  || fail "stamp lacks its fields: $(cat "$cache.stamp")"

# The reference answer, with no cache at all: nothing about the cache may be logged then.
serve EMBER_AOT_CACHE=off
cp "$tmp/answer" "$tmp/reference"
if [ -s "$tmp/reference" ] && ! grep -q 'AOT cache' "$tmp/serve.log"; then pass "EMBER_AOT_CACHE=off: serves, says nothing of a cache"
else fail "EMBER_AOT_CACHE=off"; cat "$tmp/serve.log"; fi

# 1. The cache the build made is used.
serve X=1
if grep -q "AOT cache used: .*ember.aot" "$tmp/serve.log" && ! grep -q '\[error *\]\[aot\]' "$tmp/serve.log" && answered; then
  pass "serve with the built cache logs 'AOT cache used' and answers the same text"
else fail "serve with the built cache"; grep -iE 'aot|error' "$tmp/serve.log"; fi

# 2. A stamp that does not match this app: ignored before the JVM sees it.
cp "$cache" "$tmp/stale.aot"; sed 's/^app: .*/app: 1 1/' "$cache.stamp" > "$tmp/stale.aot.stamp"
serve EMBER_AOT_CACHE="$tmp/stale.aot"
if grep -q "AOT cache ignored: the app's jars changed since it was made" "$tmp/serve.log" && answered; then
  pass "a stale stamp logs 'AOT cache ignored: the app's jars changed' and still serves"
else fail "stale stamp"; grep -iE 'aot' "$tmp/serve.log"; fi

# 3. Other JVM options than the training run had.
serve EMBER_JAVA_OPTS=-XX:-UseCompressedOops
if grep -q "AOT cache ignored: it was made with the JVM options .*this start has .*-XX:-UseCompressedOops" "$tmp/serve.log" && answered; then
  pass "other JVM options log 'AOT cache ignored: ... JVM options' and still serve"
else fail "JVM options mismatch"; grep -iE 'aot' "$tmp/serve.log"; fi

# 4. A damaged cache whose stamp matches: the JVM refuses it, the app says so and runs without it.
head -c 4000000 "$cache" > "$tmp/truncated.aot"; cp "$cache.stamp" "$tmp/truncated.aot.stamp"
serve EMBER_AOT_CACHE="$tmp/truncated.aot"
if grep -q "AOT cache ignored: the JVM could not map $tmp/truncated.aot" "$tmp/serve.log" && answered; then
  pass "a truncated cache logs 'AOT cache ignored: the JVM could not map' and still serves"
else fail "truncated cache"; grep -iE 'aot' "$tmp/serve.log"; fi

# 5. No stamp beside a cache file.
cp "$cache" "$tmp/nostamp.aot"
serve EMBER_AOT_CACHE="$tmp/nostamp.aot"
if grep -q "AOT cache ignored: no stamp file" "$tmp/serve.log" && answered; then pass "a cache without a stamp is ignored with a reason"
else fail "cache without stamp"; grep -iE 'aot' "$tmp/serve.log"; fi

# 6. The linked runtime (target/runtime, src/build/LinkRuntime.java): its Vector API module carries no incubating flag,
#    the build trained the cache with it, and a server started from that cache restores Java's module graph and
#    AOT-linked classes from it (-Xlog:aot through JAVA_TOOL_OPTIONS, which the stamp does not see) with the Vector
#    API's intrinsics on: EnableVectorSupport, read from the running JVM with jcmd (HotSpot leaves it off when the
#    module graph comes from a cache, unless the launcher passes it).
rt=target/runtime/bin/java
jdk_java="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
if [ -x "$rt" ] && ! "$rt" --add-modules=jdk.incubator.vector -version 2>&1 | grep -q 'incubator' \
    && "$jdk_java" --add-modules=jdk.incubator.vector -version 2>&1 | grep -q 'Using incubator modules: jdk.incubator.vector'; then
  pass "target/runtime resolves the Vector API without the incubating flag (the JDK's own java warns)"
else fail "target/runtime: missing, or its Vector API module still warns"; fi
if grep -q "^jvm: $(readlink -f "$rt") " "$cache.stamp"; then pass "the build trained the cache with target/runtime"
else fail "the cache's stamp names another JVM: $(grep '^jvm: ' "$cache.stamp")"; fi
jcmd="$(dirname "$jdk_java")/jcmd"; [ -x "$jcmd" ] || jcmd=target/runtime/bin/jcmd
vm_flags() { "$jcmd" "$server" VM.flags -all > "$tmp/flags.txt" 2>&1; }
during=vm_flags serve JAVA_TOOL_OPTIONS=-Xlog:aot=info
if grep -q 'full module graph: enabled' "$tmp/serve.log" && grep -q 'Using AOT-linked classes: true' "$tmp/serve.log" \
    && grep -q "AOT cache used: " "$tmp/serve.log" && answered; then
  pass "serve from the built cache restores the module graph and AOT-linked classes, and answers the same text"
else fail "module graph / AOT-linked classes from the cache"; grep -E 'module graph|AOT-linked|AOT cache' "$tmp/serve.log"; fi
if grep -qE 'EnableVectorSupport += true' "$tmp/flags.txt"; then pass "the server runs with the Vector API's intrinsics on (jcmd: EnableVectorSupport = true)"
else fail "EnableVectorSupport in the running server: $(grep -E 'EnableVectorSupport|Exception|rror' "$tmp/flags.txt" | head -3)"; fi

echo "aot: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
