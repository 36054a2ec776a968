package dev.ember.compute;

import dev.ember.compute.cuda.CudaBackend;
import dev.ember.compute.cuda.CudaSources;
import dev.ember.compute.dsl.JavaBackend;
import dev.ember.compute.opencl.OpenClBackend;
import java.util.List;

/** Opens kernel backends by name: {@code java} (the kernels run as Java), {@code opencl}, {@code cuda}. */
public final class Backends {
    /** Every kernel backend name, in the order tests report them. */
    public static final List<String> NAMES = List.of("java", "opencl", "cuda");

    private Backends() {}

    /**
     * Opens the named backend on its first usable device.
     *
     * @throws BackendUnavailableException when this machine cannot run it (the message says why)
     * @throws IllegalArgumentException for an unknown name
     */
    public static Backend open(String name) {
        return switch (name) {
            case "java" -> new JavaBackend();
            case "opencl" -> OpenClBackend.open();
            case "cuda" -> CudaBackend.open(CudaSources::translated);
            default -> throw new IllegalArgumentException("unknown backend '" + name + "' (expected one of cpu, " + String.join(", ", NAMES) + ")");
        };
    }
}
