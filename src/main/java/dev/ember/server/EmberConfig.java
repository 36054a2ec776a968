package dev.ember.server;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

import java.time.Duration;
import java.util.Optional;

/** Server configuration: {@code ember.*} keys (application.properties, -D, or EMBER_* environment variables). */
@ConfigMapping(prefix = "ember")
public interface EmberConfig {
    /** GGUF model: a path or {@code hf://OWNER/REPO/FILE[@REVISION]} (downloaded into the cache) (required). */
    Optional<String> model();

    /** Hugging Face–compatible hub for hf:// models; default: {@code HF_ENDPOINT}, else https://huggingface.co. */
    Optional<String> hubUrl();

    /** Where hf:// models are cached; default: {@code EMBER_CACHE}, else ~/.cache/ember/hub. */
    Optional<String> cacheDir();

    /** Never download: hf:// models must be in the cache ({@code HF_HUB_OFFLINE=1} does the same). */
    @WithDefault("false")
    boolean hubOffline();

    /** Name the model is served under; default: the file name without .gguf. */
    Optional<String> modelName();

    /** When set, requests must send {@code Authorization: Bearer <key>}. */
    Optional<String> apiKey();

    /** Context length per sequence; 0 = the model's, at most 4096. */
    @WithDefault("0")
    int ctxSize();

    /** Jinja chat template file overriding (or supplying) the GGUF's tokenizer.chat_template. */
    Optional<String> chatTemplate();

    /** CPU worker threads; 0 = all processors. */
    @WithDefault("0")
    int threads();

    /** Where the forward pass runs: cpu (Vector API), java (kernels as Java), opencl or cuda. */
    @WithDefault("cpu")
    String backend();

    /** Most sequences batched in one step. */
    @WithDefault("64")
    int maxNumSeqs();

    /** Most tokens in one step (prompts are prefilled in chunks of at most this). */
    @WithDefault("512")
    int maxNumBatchedTokens();

    /** KV cache pool in tokens shared by all sequences; 0 = 4 full contexts. */
    @WithDefault("0")
    int kvCacheTokens();

    /** KV cache pool as memory ("2G", "512MiB", or "40%" of the free heap); overrides kv-cache-tokens. */
    Optional<String> kvCacheMemory();

    /** Automatic prefix caching (shared KV blocks for shared prompt prefixes). */
    @WithDefault("true")
    boolean enablePrefixCaching();

    /** Requests allowed to wait for a sequence slot before new ones get 429. */
    @WithDefault("256")
    int maxQueue();

    /** Largest n (parallel completions per request). */
    @WithDefault("16")
    int maxN();

    /**
     * On SIGTERM, how long in-flight requests may run to completion (new ones are refused meanwhile);
     * those still running then end with an error event. Keep quarkus.shutdown / the platform's
     * termination grace period (Knative/Kubernetes terminationGracePeriodSeconds) above it.
     */
    @WithDefault("30s")
    Duration drainTimeout();

    /** Seconds without requests after which the engine and model are closed (reloaded on the next request); 0 = never. */
    @WithDefault("0")
    int idleUnloadSeconds();

    /** How long a request waits for the model to (re)load before it gets 503. */
    @WithDefault("5m")
    Duration loadTimeout();

    /**
     * Engine settings the engine reads as {@code ember.*} system properties (README): declared here so that they pass
     * the server's configuration check, and copied to the system property when given as a key or an EMBER_* variable.
     * {@code cpu.repack} (true: Q4_0 / Q4_K / Q6_K repacked for the decode kernels), {@code cpu.repack-cache} (where the repacked
     * copies are kept between starts, or {@code off}), {@code vector.disable},
     * {@code opencl.device}, {@code opencl.cache-dir}, {@code cuda.device}, {@code cuda.cache-dir}, {@code cuda.nvrtc}.
     */
    @WithName("cpu.repack")
    Optional<String> cpuRepack();

    @WithName("cpu.repack-cache")
    Optional<String> cpuRepackCache();

    @WithName("vector.disable")
    Optional<String> vectorDisable();

    @WithName("opencl.device")
    Optional<String> openclDevice();

    @WithName("opencl.cache-dir")
    Optional<String> openclCacheDir();

    @WithName("cuda.device")
    Optional<String> cudaDevice();

    @WithName("cuda.cache-dir")
    Optional<String> cudaCacheDir();

    @WithName("cuda.nvrtc")
    Optional<String> cudaNvrtc();

    /** The engine settings above that have a value, by system property name. */
    default java.util.Map<String, String> engineProperties() {
        java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
        cpuRepack().ifPresent(v -> m.put("ember.cpu.repack", v));
        cpuRepackCache().ifPresent(v -> m.put("ember.cpu.repack-cache", v));
        vectorDisable().ifPresent(v -> m.put("ember.vector.disable", v));
        openclDevice().ifPresent(v -> m.put("ember.opencl.device", v));
        openclCacheDir().ifPresent(v -> m.put("ember.opencl.cache-dir", v));
        cudaDevice().ifPresent(v -> m.put("ember.cuda.device", v));
        cudaCacheDir().ifPresent(v -> m.put("ember.cuda.cache-dir", v));
        cudaNvrtc().ifPresent(v -> m.put("ember.cuda.nvrtc", v));
        return m;
    }
}
