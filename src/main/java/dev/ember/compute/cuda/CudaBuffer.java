package dev.ember.compute.cuda;

import dev.ember.compute.DeviceBuffer;

/** Device memory from {@code cuMemAlloc}: its {@code CUdeviceptr} and size. Closing frees it now. */
final class CudaBuffer implements DeviceBuffer {
    private final CudaBackend owner;
    private final long pointer;
    private final long bytes;
    private boolean freed;

    CudaBuffer(CudaBackend owner, long pointer, long bytes) {
        this.owner = owner;
        this.pointer = pointer;
        this.bytes = bytes;
    }

    CudaBackend owner() {
        return owner;
    }

    /** The {@code CUdeviceptr}. */
    long pointer() {
        return pointer;
    }

    @Override
    public long byteSize() {
        return bytes;
    }

    boolean freed() {
        return freed;
    }

    /** Marks the memory freed; true the first time. */
    boolean markFreed() {
        if (freed) return false;
        freed = true;
        return true;
    }

    @Override
    public void close() {
        owner.free(this);
    }

    @Override
    public String toString() {
        return "CudaBuffer[" + bytes + " bytes at 0x" + Long.toHexString(pointer) + (freed ? ", freed" : "") + "]";
    }
}
