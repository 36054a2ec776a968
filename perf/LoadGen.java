import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Load generator for OpenAI-compatible completion servers, in the spirit of {@code vllm bench serve}
 * (random dataset). JDK only: run it as a single-file program, nothing to build.
 *
 * <pre>
 * java perf/LoadGen.java --url http://127.0.0.1:8080 [--model NAME] --input-len 128 --output-len 128 \
 *     --num-prompts 64 (--concurrency C | --request-rate R [--concurrency CAP]) [--seed 0] \
 *     [--endpoint /v1/completions] [--warmup W] [--shared-prefix-len P] [--timeout 600] [--json OUT] \
 *     [--prompt-mode auto|ids|words] [--vocab-size V] [--ban-tokens FROM-TO] [--label TEXT]
 * </pre>
 *
 * Prompts are random token ids (sent as {@code "prompt": [ids...]}, which Ember and llama-server both take
 * as-is, no BOS added) drawn from the upper part of the vocabulary; with {@code --prompt-mode words}, or when
 * the server refuses token ids, they are random English words sized by a calibration request. Either way the
 * reported input token counts are the server's {@code usage.prompt_tokens}. Each request asks for
 * {@code max_tokens = output-len} with {@code ignore_eos}, {@code temperature 0}, streaming with
 * {@code stream_options.include_usage}.
 *
 * <p>{@code --ban-tokens FROM-TO} adds {@code logit_bias} -100 for token ids FROM..TO to every request (both servers
 * get the same request). With random weights a model emits byte-fallback tokens (ids 3..258 in a llama SPM vocabulary)
 * that decode to invalid UTF-8; llama-server's output parser then ends the stream with HTTP 500 ("does not match the
 * expected Content-only format"), which is what made its runs fail before the option existed.
 *
 * <p>Measured per request: TTFT (send to the first chunk with non-empty text), ITL (gaps between successive
 * text chunks), TPOT ((E2E - TTFT) / (output tokens - 1)), E2E, output tokens (usage, else text chunks).
 *
 * <p>{@code --shared-prefix-len P}: every prompt is the same P random tokens followed by its own
 * {@code input-len} random tokens. Request 1 runs alone first (so it can fill the prefix cache); requests
 * 2..N follow under the chosen load. TTFT of request 1 is reported apart from 2..N, and /metrics is scraped
 * before and after for prefix-cache counters.
 *
 * <p>Only loopback targets are accepted. The run is bounded: num-prompts requests, each with a timeout.
 */
public class LoadGen {

    // ------------------------------------------------------------------ options

    static String url = null, model = null, endpoint = "/v1/completions", jsonOut = null, promptMode = "auto", label = null;
    static int inputLen = 128, outputLen = 128, numPrompts = 64, concurrency = 0, warmup = 0, sharedPrefix = 0, vocabSize = 0;
    static double requestRate = 0, timeoutS = 600;
    static long seed = 0;
    static boolean rateInf = false;
    static int banFrom = -1, banTo = -1;

    static final String USAGE = """
            usage: java perf/LoadGen.java --url http://127.0.0.1:PORT [--model NAME] [--input-len 128] [--output-len 128]
                     [--num-prompts 64] (--concurrency C | --request-rate R|inf [--concurrency CAP]) [--seed 0]
                     [--endpoint /v1/completions] [--warmup 0] [--shared-prefix-len 0] [--timeout 600] [--json OUT]
                     [--prompt-mode auto|ids|words] [--vocab-size V] [--ban-tokens FROM-TO] [--label TEXT]
            """;

    static void parseArgs(String[] a) {
        for (int i = 0; i < a.length; i++) {
            String k = a[i];
            if (k.equals("-h") || k.equals("--help")) { System.out.print(USAGE); System.exit(0); }
            if (i + 1 >= a.length) die("missing value for " + k);
            String v = a[++i];
            try {
                switch (k) {
                    case "--url" -> url = v.replaceAll("/+$", "");
                    case "--model" -> model = v;
                    case "--endpoint" -> endpoint = v;
                    case "--json" -> jsonOut = v;
                    case "--label" -> label = v;
                    case "--prompt-mode" -> promptMode = v;
                    case "--input-len" -> inputLen = Integer.parseInt(v);
                    case "--output-len" -> outputLen = Integer.parseInt(v);
                    case "--num-prompts" -> numPrompts = Integer.parseInt(v);
                    case "--concurrency", "--max-concurrency" -> concurrency = Integer.parseInt(v);
                    case "--request-rate" -> { if (v.equals("inf")) rateInf = true; else requestRate = Double.parseDouble(v); }
                    case "--warmup" -> warmup = Integer.parseInt(v);
                    case "--shared-prefix-len" -> sharedPrefix = Integer.parseInt(v);
                    case "--vocab-size" -> vocabSize = Integer.parseInt(v);
                    case "--seed" -> seed = Long.parseLong(v);
                    case "--timeout" -> timeoutS = Double.parseDouble(v);
                    case "--ban-tokens" -> {
                        String[] r = v.split("-", 2);
                        if (r.length != 2) die("--ban-tokens takes FROM-TO, got " + v);
                        banFrom = Integer.parseInt(r[0]);
                        banTo = Integer.parseInt(r[1]);
                        if (banFrom < 0 || banTo < banFrom || banTo - banFrom > 100_000) die("--ban-tokens: bad range " + v);
                    }
                    default -> die("unknown option " + k);
                }
            } catch (NumberFormatException e) {
                die("bad number for " + k + ": " + v);
            }
        }
        if (url == null) die("--url is required");
        if (rateInf && concurrency <= 0) concurrency = numPrompts; // all at once
        if (concurrency <= 0 && requestRate <= 0) die("give --concurrency C or --request-rate R");
        if (inputLen < 1 || outputLen < 1 || numPrompts < 1 || warmup < 0 || sharedPrefix < 0 || timeoutS <= 0) die("lengths and counts must be positive");
        if (!promptMode.matches("auto|ids|words")) die("--prompt-mode must be auto, ids or words");
        if (numPrompts > 100_000) die("--num-prompts is capped at 100000");
    }

    static void die(String msg) {
        System.err.println("loadgen: " + msg);
        System.err.print(USAGE);
        System.exit(2);
    }

    // ------------------------------------------------------------------ HTTP

    static HttpClient http;

    static void checkLoopback() {
        URI u = URI.create(url);
        if (!"http".equals(u.getScheme()) || u.getHost() == null) die("--url must be http://HOST:PORT");
        try {
            for (InetAddress a : InetAddress.getAllByName(u.getHost())) {
                if (!a.isLoopbackAddress()) die("only loopback targets are allowed (" + u.getHost() + " is " + a.getHostAddress() + ")");
            }
        } catch (IOException e) {
            die("cannot resolve " + u.getHost() + ": " + e.getMessage());
        }
    }

    record Reply(int status, String body) {}

    static Reply get(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body());
    }

    static Reply post(String path, String body) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofMillis((long) (timeoutS * 1000)))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body());
    }

    // ------------------------------------------------------------------ prompts

    static boolean chat() { return endpoint.contains("chat"); }

    static final String[] WORDS = ("the of and to in is was for on that with as it by at from his her an were are which this be "
            + "or had not but they have one she all their there been has when who will more no out would time so up said what "
            + "about into than them can only other new some could these two may first then do any like my now over such our man "
            + "me even most made after also did many before must through back years where much your way well down should because "
            + "each just those people how too little state good very make world still own see men work long get here between both "
            + "life being under never day same another know while last might us great old year off come since against go came right "
            + "used take three house water story small tree river light green happy girl boy dog cat sun moon").split(" ");

    /** A prompt: token ids, or text (words mode). */
    record Prompt(int[] ids, String text, int sentTokens) {
        String json() {
            if (ids != null) {
                StringBuilder sb = new StringBuilder(ids.length * 6).append('[');
                for (int i = 0; i < ids.length; i++) { if (i > 0) sb.append(','); sb.append(ids[i]); }
                return sb.append(']').toString();
            }
            return Json.quote(text);
        }
    }

    static boolean useIds;
    static int idLo, idHi; // token ids drawn from [idLo, idHi)
    static double tokensPerWord = 1.0;

    static int[] randomIds(Random r, int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = idLo + r.nextInt(idHi - idLo);
        return a;
    }

    static String randomWords(Random r, int tokens) {
        int words = Math.max(1, (int) Math.round(tokens / tokensPerWord));
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < words; i++) { if (i > 0) sb.append(' '); sb.append(WORDS[r.nextInt(WORDS.length)]); }
        return sb.toString();
    }

    /** numPrompts prompts; with a shared prefix, each is prefix + its own inputLen tokens. */
    static List<Prompt> makePrompts(Random r, int n, boolean withPrefix, int[] prefixIds, String prefixText) {
        List<Prompt> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (useIds) {
                int[] own = randomIds(r, inputLen);
                int[] ids = own;
                if (withPrefix) {
                    ids = Arrays.copyOf(prefixIds, prefixIds.length + own.length);
                    System.arraycopy(own, 0, ids, prefixIds.length, own.length);
                }
                out.add(new Prompt(ids, null, ids.length));
            } else {
                // a distinct leading number keeps word prompts apart right after the prefix
                String own = i + " " + randomWords(r, inputLen - 1);
                out.add(new Prompt(null, withPrefix ? prefixText + " " + own : own, (withPrefix ? sharedPrefix : 0) + inputLen));
            }
        }
        return out;
    }

    /** Picks ids or words; finds the vocabulary size for ids and the tokens-per-word ratio for words. */
    static void choosePromptMode() throws Exception {
        if (chat()) {
            if (promptMode.equals("ids")) die("token-id prompts need /v1/completions");
            useIds = false;
        } else if (!promptMode.equals("words")) {
            int v = vocabSize > 0 ? vocabSize : probeVocab();
            if (v > 0) {
                // skip the low ids (control and byte tokens in SentencePiece vocabularies)
                idLo = Math.min(300, v / 2);
                idHi = v;
                int[] probe = {idLo, idLo + 1, idHi - 1};
                Reply r = post(endpoint, "{\"model\":" + Json.quote(model) + ",\"prompt\":[" + probe[0] + "," + probe[1] + "," + probe[2]
                        + "],\"max_tokens\":1,\"temperature\":0}");
                useIds = r.status == 200;
                if (!useIds) System.err.println("loadgen: token-id prompt refused (" + r.status + " " + trim(r.body) + "); using random words");
            } else {
                System.err.println("loadgen: vocabulary size unknown (give --vocab-size); using random words");
            }
            if (!useIds && promptMode.equals("ids")) { System.err.println("loadgen: --prompt-mode ids not possible"); System.exit(1); }
        }
        if (!useIds) {
            // calibrate tokens per word with one short prompt (shorter again if the context is tiny)
            Reply r = null;
            for (int words : new int[] {32, 8}) {
                r = post(endpoint, requestBody(new Prompt(null, randomWords(new Random(seed ^ 0x5eed), words), words), 1, false));
                if (r.status != 200) continue;
                Object pt = Json.path(Json.parse(r.body), "usage", "prompt_tokens");
                if (pt instanceof Number n && n.doubleValue() > 0) tokensPerWord = n.doubleValue() / words;
                break;
            }
            System.err.printf("word prompts: %.2f tokens per word%s%n", tokensPerWord, r.status == 200 ? "" : " (calibration failed: " + r.status + " " + trim(r.body) + ")");
        }
    }

    /** n_vocab from llama-server's /v1/models meta; else Ember's out-of-vocabulary error "(0..V-1)". */
    static int probeVocab() {
        try {
            Reply m = get("/v1/models");
            if (m.status == 200) {
                Object nv = Json.path(Json.parse(m.body), "data", 0, "meta", "n_vocab");
                if (nv instanceof Number n) return n.intValue();
            }
            Reply r = post(endpoint, "{\"model\":" + Json.quote(model) + ",\"prompt\":[2147483647],\"max_tokens\":1}");
            Matcher mm = Pattern.compile("\\(0\\.\\.(\\d+)\\)").matcher(r.body);
            if (mm.find()) return Integer.parseInt(mm.group(1)) + 1;
        } catch (Exception e) {
            System.err.println("loadgen: vocabulary probe failed: " + e);
        }
        return 0;
    }

    static String requestBody(Prompt p, int maxTokens, boolean stream) {
        StringBuilder sb = new StringBuilder(256 + (p.ids != null ? p.ids.length * 6 : p.text.length()));
        sb.append("{\"model\":").append(Json.quote(model));
        if (chat()) sb.append(",\"messages\":[{\"role\":\"user\",\"content\":").append(p.json()).append("}]");
        else sb.append(",\"prompt\":").append(p.json());
        sb.append(",\"max_tokens\":").append(maxTokens).append(",\"temperature\":0,\"ignore_eos\":true");
        if (banFrom >= 0) {
            sb.append(",\"logit_bias\":{");
            for (int id = banFrom; id <= banTo; id++) sb.append(id > banFrom ? ",\"" : "\"").append(id).append("\":-100");
            sb.append('}');
        }
        if (stream) sb.append(",\"stream\":true,\"stream_options\":{\"include_usage\":true}");
        return sb.append('}').toString();
    }

    // ------------------------------------------------------------------ one request

    static final class Result {
        int index;
        boolean ok;
        String error;
        double ttftMs = Double.NaN, e2eMs;
        long startNs, endNs;
        int outputTokens, textChunks, promptTokens = -1, cachedTokens = -1, sentTokens;
        final List<Double> itlMs = new ArrayList<>();

        double tpotMs() { return ok && outputTokens > 1 && !Double.isNaN(ttftMs) ? (e2eMs - ttftMs) / (outputTokens - 1) : Double.NaN; }
    }

    static ScheduledExecutorService watchdog;

    static Result run(int index, Prompt p) {
        Result res = new Result();
        res.index = index;
        res.sentTokens = p.sentTokens;
        Thread self = Thread.currentThread();
        AtomicBoolean timedOut = new AtomicBoolean();
        InputStream[] stream = new InputStream[1];
        ScheduledFuture<?> dog = watchdog.schedule(() -> {
            timedOut.set(true);
            self.interrupt();
            InputStream s = stream[0];
            if (s != null) try { s.close(); } catch (IOException ignored) {}
        }, (long) (timeoutS * 1000), TimeUnit.MILLISECONDS);
        String body = requestBody(p, outputLen, true);
        HttpRequest req = HttpRequest.newBuilder(URI.create(url + endpoint)).header("Content-Type", "application/json")
                .header("Accept", "text/event-stream").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        res.startNs = System.nanoTime();
        long last = 0;
        boolean done = false;
        try {
            HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
            stream[0] = r.body();
            if (timedOut.get()) throw new IOException("timed out");
            if (r.statusCode() != 200) {
                String err;
                try (InputStream in = r.body()) { err = new String(in.readNBytes(2000), StandardCharsets.UTF_8); }
                throw new IOException("HTTP " + r.statusCode() + ": " + trim(err));
            }
            try (BufferedReader br = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = br.readLine()) != null) {
                    if (!line.startsWith("data:")) continue;
                    long now = System.nanoTime();
                    String data = line.substring(5).trim();
                    if (data.equals("[DONE]")) { done = true; break; }
                    Object o = Json.parse(data);
                    if (Json.path(o, "error") != null) throw new IOException("stream error: " + trim(data));
                    Object text = chat() ? Json.path(o, "choices", 0, "delta", "content") : Json.path(o, "choices", 0, "text");
                    if (text instanceof String s && !s.isEmpty()) {
                        if (res.textChunks == 0) res.ttftMs = (now - res.startNs) / 1e6;
                        else res.itlMs.add((now - last) / 1e6);
                        last = now;
                        res.textChunks++;
                    }
                    if (Json.path(o, "usage") instanceof Map<?, ?> u) {
                        if (u.get("completion_tokens") instanceof Number n) res.outputTokens = n.intValue();
                        if (u.get("prompt_tokens") instanceof Number n) res.promptTokens = n.intValue();
                        if (Json.path(u, "prompt_tokens_details", "cached_tokens") instanceof Number n) res.cachedTokens = n.intValue();
                    }
                }
            }
            res.endNs = System.nanoTime();
            if (timedOut.get()) throw new IOException("timed out");
            if (!done) throw new IOException("stream ended without [DONE]");
            if (res.outputTokens == 0) res.outputTokens = res.textChunks;
            res.e2eMs = (res.endNs - res.startNs) / 1e6;
            res.ok = true;
        } catch (Exception e) {
            res.endNs = System.nanoTime();
            res.ok = false;
            res.error = timedOut.get() ? "timed out after " + timeoutS + " s" : e.getClass().getSimpleName() + ": " + e.getMessage();
        } finally {
            dog.cancel(false);
            Thread.interrupted(); // clear a late watchdog interrupt
        }
        return res;
    }

    static String trim(String s) {
        s = s.replaceAll("\\s+", " ").trim();
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }

    // ------------------------------------------------------------------ load

    /**
     * Runs prompts[from..] under the load shape: Poisson arrivals at requestRate (seeded) when given, with at
     * most `concurrency` in flight when given.
     */
    static List<Result> runLoad(List<Prompt> prompts, int from, Random arrivals, ExecutorService pool) throws Exception {
        Semaphore slots = concurrency > 0 ? new Semaphore(concurrency) : null;
        List<Future<Result>> fs = new ArrayList<>();
        long t0 = System.nanoTime();
        double at = 0; // seconds after t0
        for (int i = from; i < prompts.size(); i++) {
            if (requestRate > 0) {
                if (i > from) at += -Math.log(1.0 - arrivals.nextDouble()) / requestRate;
                long wait = t0 + (long) (at * 1e9) - System.nanoTime();
                if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
            }
            if (slots != null) slots.acquire();
            final int idx = i;
            final Prompt p = prompts.get(i);
            fs.add(pool.submit(() -> {
                try { return run(idx, p); } finally { if (slots != null) slots.release(); }
            }));
        }
        List<Result> out = new ArrayList<>();
        for (Future<Result> f : fs) out.add(f.get());
        return out;
    }

    // ------------------------------------------------------------------ /metrics

    static Map<String, Double> scrapeMetrics() {
        Map<String, Double> m = new TreeMap<>();
        try {
            Reply r = get("/metrics");
            if (r.status != 200) return m;
            for (String line : r.body.split("\n")) {
                if (line.isBlank() || line.startsWith("#")) continue;
                int sp = line.lastIndexOf(' ');
                if (sp <= 0) continue;
                try { m.put(line.substring(0, sp).trim(), Double.parseDouble(line.substring(sp + 1).trim())); } catch (NumberFormatException ignored) {}
            }
        } catch (Exception ignored) {
        }
        return m;
    }

    static Map<String, Double> metricDeltas(Map<String, Double> before, Map<String, Double> after, boolean promptTokensToo) {
        Map<String, Double> d = new TreeMap<>();
        for (var e : after.entrySet()) {
            String k = e.getKey();
            if (k.contains("prefix_cache") || (promptTokensToo && k.matches("[a-z]+:prompt_tokens_total.*"))) {
                d.put(k, e.getValue() - before.getOrDefault(k, 0.0));
            }
        }
        return d;
    }

    // ------------------------------------------------------------------ statistics

    /** Percentile with linear interpolation between closest ranks (numpy's default), p in [0, 100]. */
    static double pct(double[] sorted, double p) {
        if (sorted.length == 0) return Double.NaN;
        double rank = p / 100.0 * (sorted.length - 1);
        int lo = (int) Math.floor(rank), hi = (int) Math.ceil(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }

    record Stat(double mean, double median, double p99, double min, double max, int n) {
        static Stat of(List<Double> xs) {
            double[] a = xs.stream().filter(x -> !Double.isNaN(x)).mapToDouble(Double::doubleValue).sorted().toArray();
            if (a.length == 0) return new Stat(Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0);
            return new Stat(Arrays.stream(a).average().orElse(Double.NaN), pct(a, 50), pct(a, 99), a[0], a[a.length - 1], a.length);
        }

        String json() {
            return "{\"mean\":" + Json.num(mean) + ",\"median\":" + Json.num(median) + ",\"p99\":" + Json.num(p99) + ",\"min\":" + Json.num(min)
                    + ",\"max\":" + Json.num(max) + ",\"n\":" + n + "}";
        }
    }

    // ------------------------------------------------------------------ main

    public static void main(String[] args) throws Exception {
        Locale.setDefault(Locale.ROOT);
        parseArgs(args);
        checkLoopback();
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
        watchdog = Executors.newSingleThreadScheduledExecutor(r -> { Thread t = new Thread(r, "loadgen-watchdog"); t.setDaemon(true); return t; });

        try {
            get("/health");
        } catch (IOException e) {
            System.err.println("loadgen: cannot reach " + url + ": " + e);
            System.exit(1);
        }
        if (model == null) {
            Reply m = get("/v1/models");
            Object id = m.status == 200 ? Json.path(Json.parse(m.body), "data", 0, "id") : null;
            if (!(id instanceof String s)) { System.err.println("loadgen: cannot read a model id from /v1/models; give --model"); System.exit(1); return; }
            model = s;
        }
        choosePromptMode();

        Random rnd = new Random(seed);
        int[] prefixIds = null;
        String prefixText = null;
        if (sharedPrefix > 0) {
            // its own random stream: the prefix never equals the start of an unprefixed prompt of the same seed
            Random pr = new Random(seed ^ 0x70726566L);
            if (useIds) prefixIds = randomIds(pr, sharedPrefix);
            else prefixText = randomWords(pr, sharedPrefix);
        }
        List<Prompt> prompts = makePrompts(rnd, numPrompts, sharedPrefix > 0, prefixIds, prefixText);
        Random arrivals = new Random(seed * 31 + 7);

        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            if (warmup > 0) {
                // own random prompts without the shared prefix, so warm-up cannot fill the prefix cache
                List<Prompt> wp = makePrompts(new Random(seed ^ 0x9e3779b97f4a7c15L), warmup, false, null, null);
                long t = System.nanoTime();
                int savedC = concurrency; double savedR = requestRate;
                concurrency = Math.max(1, Math.min(warmup, concurrency > 0 ? concurrency : warmup)); requestRate = 0;
                List<Result> w = runLoad(wp, 0, arrivals, pool);
                concurrency = savedC; requestRate = savedR;
                long bad = w.stream().filter(x -> !x.ok).count();
                System.err.printf("warm-up: %d requests in %.1f s%s%n", warmup, (System.nanoTime() - t) / 1e9,
                        bad > 0 ? ", " + bad + " failed: " + w.stream().filter(x -> !x.ok).findFirst().get().error : "");
            }

            Map<String, Double> before = scrapeMetrics();
            System.err.printf("benchmark: %d prompts, input %d%s, output %d, %s, %s prompts%n", numPrompts, inputLen,
                    sharedPrefix > 0 ? " after a shared prefix of " + sharedPrefix : "", outputLen, loadShape(), useIds ? "token-id" : "word");
            long t0 = System.nanoTime();
            List<Result> results = new ArrayList<>();
            int from = 0;
            if (sharedPrefix > 0) {
                results.add(run(0, prompts.get(0))); // alone, to fill the prefix cache
                from = 1;
            }
            results.addAll(runLoad(prompts, from, arrivals, pool));
            long t1 = System.nanoTime();
            Map<String, Double> after = scrapeMetrics();
            report(results, (t1 - t0) / 1e9, metricDeltas(before, after, sharedPrefix > 0));
        }
    }

    static String loadShape() {
        if (requestRate > 0) return String.format("Poisson %.3g req/s (seed %d)%s", requestRate, seed, concurrency > 0 ? ", at most " + concurrency + " in flight" : "");
        return "concurrency " + concurrency;
    }

    static void report(List<Result> results, double durS, Map<String, Double> deltas) throws IOException {
        List<Result> ok = results.stream().filter(r -> r.ok).toList();
        List<Result> bad = results.stream().filter(r -> !r.ok).toList();
        long inTok = 0, outTok = 0;
        for (Result r : ok) { inTok += r.promptTokens >= 0 ? r.promptTokens : r.sentTokens; outTok += r.outputTokens; }
        List<Double> ttft = new ArrayList<>(), tpot = new ArrayList<>(), itl = new ArrayList<>(), e2e = new ArrayList<>();
        for (Result r : ok) { ttft.add(r.ttftMs); tpot.add(r.tpotMs()); itl.addAll(r.itlMs); e2e.add(r.e2eMs); }
        Stat sTtft = Stat.of(ttft), sTpot = Stat.of(tpot), sItl = Stat.of(itl), sE2e = Stat.of(e2e);
        int minOut = ok.stream().mapToInt(r -> r.outputTokens).min().orElse(0), maxOut = ok.stream().mapToInt(r -> r.outputTokens).max().orElse(0);

        StringBuilder t = new StringBuilder();
        t.append(center(" Serving Benchmark Result ", '=')).append('\n');
        if (label != null) row(t, "Label:", label);
        row(t, "Endpoint:", url + endpoint);
        row(t, "Model:", model);
        row(t, "Load:", loadShape());
        row(t, "Successful requests:", ok.size());
        row(t, "Failed requests:", bad.size());
        if (concurrency > 0) row(t, "Maximum request concurrency:", concurrency);
        row(t, "Benchmark duration (s):", f2(durS));
        row(t, "Total input tokens:", inTok);
        row(t, "Total generated tokens:", outTok);
        if (minOut != maxOut) row(t, "Output tokens per request:", minOut + ".." + maxOut);
        row(t, "Request throughput (req/s):", f2(ok.size() / durS));
        row(t, "Output token throughput (tok/s):", f2(outTok / durS));
        row(t, "Total token throughput (tok/s):", f2((inTok + outTok) / durS));
        section(t, "Time to First Token", "TTFT", sTtft);
        section(t, "Time per Output Token (excl. 1st token)", "TPOT", sTpot);
        section(t, "Inter-token Latency", "ITL", sItl);
        section(t, "End-to-end Latency", "E2EL", sE2e);

        Result first = null;
        Stat restTtft = null;
        long restCached = -1;
        if (sharedPrefix > 0) {
            first = results.get(0);
            List<Double> rest = new ArrayList<>();
            for (Result r : ok) if (r.index > 0) { rest.add(r.ttftMs); if (r.cachedTokens >= 0) restCached = Math.max(restCached, 0) + r.cachedTokens; }
            restTtft = Stat.of(rest);
            t.append(center("Shared Prefix (" + sharedPrefix + " tokens)", '-')).append('\n');
            row(t, "TTFT request 1 (ms):", first.ok ? f2(first.ttftMs) : "failed");
            row(t, "Mean TTFT requests 2..N (ms):", f2(restTtft.mean));
            row(t, "Median TTFT requests 2..N (ms):", f2(restTtft.median));
            row(t, "P99 TTFT requests 2..N (ms):", f2(restTtft.p99));
            if (first.cachedTokens >= 0) row(t, "Cached prompt tokens, request 1:", first.cachedTokens);
            if (restCached >= 0) row(t, "Cached prompt tokens, 2..N (sum):", restCached);
        }
        if (!deltas.isEmpty()) {
            t.append(center("Server /metrics deltas", '-')).append('\n');
            for (var e : deltas.entrySet()) row(t, e.getKey(), fmtCount(e.getValue()));
        }
        t.append("=".repeat(50)).append('\n');
        System.out.print(t);
        if (!bad.isEmpty()) {
            System.out.println("First errors:");
            bad.stream().limit(5).forEach(r -> System.out.println("  request " + (r.index + 1) + ": " + r.error));
        }

        if (jsonOut != null) {
            StringBuilder j = new StringBuilder("{");
            j.append("\"label\":").append(label == null ? "null" : Json.quote(label));
            j.append(",\"url\":").append(Json.quote(url)).append(",\"endpoint\":").append(Json.quote(endpoint));
            j.append(",\"model\":").append(Json.quote(model));
            j.append(",\"input_len\":").append(inputLen).append(",\"output_len\":").append(outputLen).append(",\"num_prompts\":").append(numPrompts);
            j.append(",\"shared_prefix_len\":").append(sharedPrefix).append(",\"prompt_mode\":").append(Json.quote(useIds ? "ids" : "words"));
            j.append(",\"concurrency\":").append(concurrency).append(",\"request_rate\":").append(Json.num(requestRate)).append(",\"seed\":").append(seed);
            j.append(",\"completed\":").append(ok.size()).append(",\"failed\":").append(bad.size());
            j.append(",\"duration_s\":").append(Json.num(durS));
            j.append(",\"total_input_tokens\":").append(inTok).append(",\"total_output_tokens\":").append(outTok);
            j.append(",\"request_throughput\":").append(Json.num(ok.size() / durS));
            j.append(",\"output_throughput\":").append(Json.num(outTok / durS));
            j.append(",\"total_token_throughput\":").append(Json.num((inTok + outTok) / durS));
            j.append(",\"ttft_ms\":").append(sTtft.json()).append(",\"tpot_ms\":").append(sTpot.json());
            j.append(",\"itl_ms\":").append(sItl.json()).append(",\"e2el_ms\":").append(sE2e.json());
            if (first != null) {
                j.append(",\"shared_prefix\":{\"ttft_first_ms\":").append(Json.num(first.ok ? first.ttftMs : Double.NaN));
                j.append(",\"ttft_rest_ms\":").append(restTtft.json());
                j.append(",\"cached_tokens_first\":").append(first.cachedTokens).append(",\"cached_tokens_rest\":").append(restCached).append('}');
            }
            j.append(",\"metrics_deltas\":{");
            int k = 0;
            for (var e : deltas.entrySet()) j.append(k++ > 0 ? "," : "").append(Json.quote(e.getKey())).append(':').append(Json.num(e.getValue()));
            j.append("},\"requests\":[");
            for (int i = 0; i < results.size(); i++) {
                Result r = results.get(i);
                if (i > 0) j.append(',');
                j.append("{\"index\":").append(r.index).append(",\"ok\":").append(r.ok);
                if (!r.ok) j.append(",\"error\":").append(Json.quote(r.error));
                j.append(",\"start_ms\":").append(Json.num((r.startNs - results.get(0).startNs) / 1e6));
                j.append(",\"ttft_ms\":").append(Json.num(r.ttftMs)).append(",\"e2e_ms\":").append(Json.num(r.ok ? r.e2eMs : Double.NaN));
                j.append(",\"tpot_ms\":").append(Json.num(r.tpotMs()));
                j.append(",\"prompt_tokens\":").append(r.promptTokens >= 0 ? r.promptTokens : r.sentTokens);
                j.append(",\"output_tokens\":").append(r.outputTokens).append(",\"text_chunks\":").append(r.textChunks);
                j.append(",\"cached_tokens\":").append(r.cachedTokens).append('}');
            }
            j.append("]}\n");
            Path out = Path.of(jsonOut);
            if (out.getParent() != null) Files.createDirectories(out.getParent());
            Files.writeString(out, j);
        }
    }

    static String center(String s, char fill) {
        int w = 50, pad = Math.max(0, w - s.length());
        return String.valueOf(fill).repeat(pad / 2) + s + String.valueOf(fill).repeat(pad - pad / 2);
    }

    static void row(StringBuilder t, String k, Object v) { t.append(String.format("%-40s %-10s%n", k, v)); }

    static void section(StringBuilder t, String title, String name, Stat s) {
        t.append(center(title, '-')).append('\n');
        row(t, "Mean " + name + " (ms):", f2(s.mean));
        row(t, "Median " + name + " (ms):", f2(s.median));
        row(t, "P99 " + name + " (ms):", f2(s.p99));
    }

    static String f2(double x) { return Double.isNaN(x) ? "n/a" : String.format("%.2f", x); }

    static String fmtCount(double x) { return x == Math.rint(x) ? String.valueOf((long) x) : String.format("%.3f", x); }

    // ------------------------------------------------------------------ minimal JSON

    static final class Json {
        private final String s;
        private int i;

        private Json(String s) { this.s = s; }

        static Object parse(String s) {
            Json p = new Json(s);
            p.ws();
            Object v = p.value();
            p.ws();
            if (p.i != s.length()) throw new IllegalArgumentException("trailing characters in JSON at " + p.i);
            return v;
        }

        /** Walks maps by string keys and lists by integer indexes; null when absent. */
        static Object path(Object o, Object... keys) {
            for (Object k : keys) {
                if (k instanceof String ks && o instanceof Map<?, ?> m) o = m.get(ks);
                else if (k instanceof Integer ki && o instanceof List<?> l && ki < l.size()) o = l.get(ki);
                else return null;
            }
            return o;
        }

        static String quote(String s) {
            StringBuilder b = new StringBuilder(s.length() + 2).append('"');
            for (int k = 0; k < s.length(); k++) {
                char c = s.charAt(k);
                switch (c) {
                    case '"' -> b.append("\\\"");
                    case '\\' -> b.append("\\\\");
                    case '\n' -> b.append("\\n");
                    case '\r' -> b.append("\\r");
                    case '\t' -> b.append("\\t");
                    default -> { if (c < 0x20) b.append(String.format("\\u%04x", (int) c)); else b.append(c); }
                }
            }
            return b.append('"').toString();
        }

        static String num(double x) { return Double.isNaN(x) || Double.isInfinite(x) ? "null" : String.format("%.4f", x); }

        private void ws() { while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++; }

        private Object value() {
            if (i >= s.length()) throw new IllegalArgumentException("unexpected end of JSON");
            char c = s.charAt(i);
            switch (c) {
                case '{': {
                    i++;
                    Map<String, Object> m = new LinkedHashMap<>();
                    ws();
                    if (s.charAt(i) == '}') { i++; return m; }
                    while (true) {
                        ws();
                        String k = string();
                        ws();
                        expect(':');
                        ws();
                        m.put(k, value());
                        ws();
                        if (s.charAt(i) == ',') { i++; continue; }
                        expect('}');
                        return m;
                    }
                }
                case '[': {
                    i++;
                    List<Object> l = new ArrayList<>();
                    ws();
                    if (s.charAt(i) == ']') { i++; return l; }
                    while (true) {
                        ws();
                        l.add(value());
                        ws();
                        if (s.charAt(i) == ',') { i++; continue; }
                        expect(']');
                        return l;
                    }
                }
                case '"': return string();
                case 't': lit("true"); return Boolean.TRUE;
                case 'f': lit("false"); return Boolean.FALSE;
                case 'n': lit("null"); return null;
                default: {
                    int st = i;
                    while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
                    if (st == i) throw new IllegalArgumentException("bad JSON at " + st);
                    return Double.parseDouble(s.substring(st, i));
                }
            }
        }

        private void lit(String w) {
            if (!s.startsWith(w, i)) throw new IllegalArgumentException("bad JSON literal at " + i);
            i += w.length();
        }

        private void expect(char c) {
            if (i >= s.length() || s.charAt(i) != c) throw new IllegalArgumentException("expected '" + c + "' at " + i);
            i++;
        }

        private String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                char c = s.charAt(i++);
                if (c == '"') return b.toString();
                if (c != '\\') { b.append(c); continue; }
                char e = s.charAt(i++);
                switch (e) {
                    case 'n' -> b.append('\n');
                    case 't' -> b.append('\t');
                    case 'r' -> b.append('\r');
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'u' -> { b.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; }
                    default -> b.append(e);
                }
            }
        }
    }
}
