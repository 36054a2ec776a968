package dev.ember.compute.opencl;

import java.nio.file.Path;

/**
 * How {@link OpenClBackend} picks its device and builds programs.
 *
 * @param device         which device: an index from {@link OpenClBackend#devices()} or a substring of
 *                       "platform: device name"; null or blank for the first GPU, else the first device
 * @param cacheDir       where built program binaries are kept between runs; null for no cache
 * @param buildOptions   the {@code clBuildProgram} options (part of the cache key)
 * @param profiling      whether launches record device timestamps ({@link OpenClBackend#kernelNanos()})
 */
public record OpenClConfig(String device, Path cacheDir, String buildOptions, boolean profiling) {
    /** OpenCL C 1.2 without fast-math relaxations: kernels must compute what the Java executor computes. */
    public static final String DEFAULT_BUILD_OPTIONS = "-cl-std=CL1.2 " + dev.ember.compute.dsl.Target.OPENCL.compilerOptions();

    public OpenClConfig {
        if (buildOptions == null) buildOptions = "";
    }

    /**
     * From the system: {@code ember.opencl.device} (system property, else environment variable
     * {@code ember.opencl.device} or {@code EMBER_OPENCL_DEVICE}); {@code ember.opencl.cache-dir} (default
     * {@code ~/.cache/ember/opencl}); {@code ember.opencl.profile=true} to record kernel times.
     */
    public static OpenClConfig fromSystem() {
        String device = System.getProperty("ember.opencl.device");
        if (device == null) device = System.getenv("ember.opencl.device");
        if (device == null) device = System.getenv("EMBER_OPENCL_DEVICE");
        String dir = System.getProperty("ember.opencl.cache-dir");
        Path cache = dir != null && !dir.isBlank() ? Path.of(dir) : Path.of(System.getProperty("user.home"), ".cache", "ember", "opencl");
        return new OpenClConfig(device, cache, DEFAULT_BUILD_OPTIONS, Boolean.getBoolean("ember.opencl.profile"));
    }

    public OpenClConfig withDevice(String device) {
        return new OpenClConfig(device, cacheDir, buildOptions, profiling);
    }

    public OpenClConfig withCacheDir(Path cacheDir) {
        return new OpenClConfig(device, cacheDir, buildOptions, profiling);
    }

    public OpenClConfig withProfiling(boolean profiling) {
        return new OpenClConfig(device, cacheDir, buildOptions, profiling);
    }
}
