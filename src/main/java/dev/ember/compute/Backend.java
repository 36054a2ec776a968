package dev.ember.compute;

import dev.ember.compute.dsl.KernelRef;
import dev.ember.compute.dsl.Launch;
import java.lang.foreign.MemorySegment;

/**
 * Where kernels run: device memory plus an in-order queue of kernel launches. Every backend runs the same
 * kernels from {@code kernels/} (written once in the Java kernel DSL): the Java executor runs them as Java,
 * OpenCL and CUDA run their translation. Work is enqueued in call order on one queue; {@link #download}
 * and {@link #finish} wait for everything enqueued before them.
 *
 * <p>Kernel arguments follow the kernel method's parameters after its {@code KernelContext}: a
 * {@link DeviceBuffer} for each buffer parameter ({@code F32Buffer}, {@code U16Buffer}, {@code U8Buffer},
 * {@code I32Buffer}), an {@code Integer} for {@code int}, a {@code Float} for {@code float}.
 */
public interface Backend extends AutoCloseable {
    /** e.g. {@code java}, {@code opencl (PoCL: pthread-skylake)}, {@code cuda (NVIDIA H100)}. */
    String name();

    /** The largest single allocation the device allows, in bytes. */
    long maxAllocationBytes();

    /** A new zero-filled buffer of {@code bytes} bytes. */
    DeviceBuffer allocate(long bytes);

    /** Copies all of {@code src} into {@code dst} at byte offset {@code dstOffset}. */
    void upload(DeviceBuffer dst, long dstOffset, MemorySegment src);

    /** Copies {@code dst.byteSize()} bytes of {@code src} from byte offset {@code srcOffset} into {@code dst}, after all enqueued work. */
    void download(DeviceBuffer src, long srcOffset, MemorySegment dst);

    /** Enqueues one kernel launch. */
    void launch(KernelRef kernel, Launch launch, Object... args);

    /** Waits until every enqueued launch and copy has completed. */
    void finish();

    /** Frees every buffer and the device context. */
    @Override
    void close();
}
