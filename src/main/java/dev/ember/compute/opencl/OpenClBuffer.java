package dev.ember.compute.opencl;

import dev.ember.compute.DeviceBuffer;
import java.lang.foreign.MemorySegment;

/** A {@code cl_mem} buffer of an {@link OpenClBackend}. */
final class OpenClBuffer implements DeviceBuffer {
    private final OpenClBackend owner;
    private final MemorySegment mem;
    private final long byteSize;
    private boolean freed;

    OpenClBuffer(OpenClBackend owner, MemorySegment mem, long byteSize) {
        this.owner = owner;
        this.mem = mem;
        this.byteSize = byteSize;
    }

    OpenClBackend owner() {
        return owner;
    }

    /** The {@code cl_mem} handle; throws once the buffer is freed. */
    MemorySegment mem() {
        if (freed) throw new IllegalStateException("OpenCL buffer of " + byteSize + " bytes used after close()");
        return mem;
    }

    /** The handle even after close (for the backend's release). */
    MemorySegment handle() {
        return mem;
    }

    boolean freed() {
        return freed;
    }

    void markFreed() {
        freed = true;
    }

    @Override
    public long byteSize() {
        return byteSize;
    }

    @Override
    public void close() {
        owner.free(this);
    }

    @Override
    public String toString() {
        return "OpenClBuffer[" + byteSize + " bytes" + (freed ? ", freed" : "") + "]";
    }
}
