package dev.ember.compute.opencl;

import dev.ember.compute.BackendUnavailableException;
import java.nio.file.Path;
import java.util.function.Function;
import org.junit.jupiter.api.Assumptions;

/** Opens the OpenCL backend for a test, or skips the test with the reason this machine has no OpenCL device. */
final class OpenClTestDevice {
    private OpenClTestDevice() {}

    static OpenClBackend open(Path cacheDir, boolean profiling, Function<Class<?>, String> sources) {
        try {
            return OpenClBackend.open(OpenClConfig.fromSystem().withCacheDir(cacheDir).withProfiling(profiling), sources);
        } catch (BackendUnavailableException e) {
            Assumptions.abort("no OpenCL device: " + e.getMessage());
            throw e;
        }
    }

    /** No program cache, no profiling, the hand-written {@link ClTestKernels} source. */
    static OpenClBackend open() {
        return open(null, false, ClTestKernels::source);
    }
}
