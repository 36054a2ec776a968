package dev.ember.model;

import dev.ember.compute.Backend;
import dev.ember.compute.Backends;
import dev.ember.compute.cpu.WorkerPool;

/**
 * Where a model's forward pass runs, chosen by name ({@code --backend}): {@code cpu} is the hand-vectorized
 * {@link ModelRunner}; {@code java}, {@code opencl} and {@code cuda} run the kernels of {@code kernels/}
 * through a {@link Backend} with a {@link DeviceModelRunner}. It makes the KV storage and the runner that
 * go together.
 */
public final class ComputeTarget implements AutoCloseable {
    public static final String CPU = "cpu";

    private final String name;
    private final Backend backend; // null for cpu

    private ComputeTarget(String name, Backend backend) {
        this.name = name;
        this.backend = backend;
    }

    /**
     * @throws dev.ember.compute.BackendUnavailableException when this machine cannot run the backend
     * @throws IllegalArgumentException for an unknown name
     */
    public static ComputeTarget open(String name) {
        if (name == null || name.isEmpty() || name.equals(CPU)) return new ComputeTarget(CPU, null);
        return new ComputeTarget(name, Backends.open(name));
    }

    /** The backend name, e.g. {@code cpu} or {@code opencl}. */
    public String name() {
        return name;
    }

    /**
     * Null, or a warning for the start-up log: on the CPU, that this JVM runs the 128-bit kernels or the scalar fallback
     * instead of the full Vector API kernels ({@link dev.ember.compute.cpu.CpuKernels}).
     */
    public String warning() {
        return backend == null ? dev.ember.compute.cpu.CpuKernels.fallbackWarning() : null;
    }

    /** A readable description, with the device for kernel backends. */
    public String description() {
        return backend == null ? CPU : backend.name();
    }

    /** KV storage of {@code numBlocks} blocks: host arrays for the CPU, device buffers otherwise. */
    public KvCache kvStorage(ModelConfig c, int blockSize, int numBlocks) {
        if (backend == null) return new F32KvCache(c.numLayers(), c.kvDim(), blockSize, numBlocks);
        return new DeviceKvCache(backend, c.numLayers(), c.kvDim(), blockSize, numBlocks);
    }

    /**
     * The forward pass over {@code storage} (made by {@link #kvStorage}), whose blocks are handed out by
     * {@code cache} (the storage itself, or a block manager over it).
     */
    public Forward forward(ModelConfig c, ModelWeights w, KvCache cache, KvCache storage, WorkerPool pool) {
        if (backend == null) return new ModelRunner(c, w, cache, pool);
        if (!(storage instanceof DeviceKvCache d)) throw new IllegalArgumentException("the " + name + " backend needs device KV storage");
        return new DeviceModelRunner(c, w, cache, d, backend);
    }

    @Override
    public void close() {
        if (backend != null) backend.close();
    }
}
