package dev.ember.compute;

/** Memory owned by a {@link Backend}: a handle, not host-addressable in general. */
public interface DeviceBuffer extends AutoCloseable {
    long byteSize();

    /** Frees the memory now (the backend frees all remaining buffers when it closes). */
    @Override
    void close();
}
