package dev.ember.model;

import dev.ember.compute.Backend;
import dev.ember.compute.DeviceBuffer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A {@link KvCache} whose K/V rows live in a device backend's memory: per layer one keys and one values
 * buffer of [numBlocks * blockSize, kvDim] floats, indexed by slot. Block allocation is the same free
 * list as the host cache's. Host access to the rows ({@link #keys}, {@link #values}) is refused: only the
 * {@link DeviceModelRunner} reads and writes them, through kernels.
 */
public final class DeviceKvCache implements KvCache, AutoCloseable {
    private final Backend backend;
    private final int blockSize;
    private final int numBlocks;
    private final int kvDim;
    private final DeviceBuffer[] keys;   // [layers] of [numBlocks * blockSize, kvDim] f32
    private final DeviceBuffer[] values; // [layers] of [numBlocks * blockSize, kvDim] f32
    private final BlockFreeList free;

    public DeviceKvCache(Backend backend, int layers, int kvDim, int blockSize, int numBlocks) {
        long bytes = (long) numBlocks * blockSize * kvDim * Float.BYTES;
        if (bytes > backend.maxAllocationBytes()) {
            throw new IllegalArgumentException("one layer's KV cache of " + numBlocks + " blocks needs " + bytes
                    + " bytes; the " + backend.name() + " device allows " + backend.maxAllocationBytes() + " per allocation: use fewer blocks");
        }
        this.backend = backend;
        this.blockSize = blockSize;
        this.numBlocks = numBlocks;
        this.kvDim = kvDim;
        this.keys = new DeviceBuffer[layers];
        this.values = new DeviceBuffer[layers];
        for (int l = 0; l < layers; l++) {
            keys[l] = backend.allocate(bytes);
            values[l] = backend.allocate(bytes);
        }
        this.free = new BlockFreeList(numBlocks);
    }

    public DeviceBuffer keyBuffer(int layer) {
        return keys[layer];
    }

    public DeviceBuffer valueBuffer(int layer) {
        return values[layer];
    }

    @Override public int blockSize() { return blockSize; }
    @Override public int numBlocks() { return numBlocks; }
    @Override public int kvDim() { return kvDim; }
    @Override public int numLayers() { return keys.length; }

    @Override
    public float[] keys(int layer) {
        throw new UnsupportedOperationException("the KV rows of the " + backend.name() + " backend live on the device");
    }

    @Override
    public float[] values(int layer) {
        throw new UnsupportedOperationException("the KV rows of the " + backend.name() + " backend live on the device");
    }

    @Override
    public int allocateBlock() {
        return free.allocate();
    }

    @Override
    public void freeBlock(int block) {
        free.free(block);
    }

    @Override
    public int freeBlocks() {
        return free.freeCount();
    }

    /** Copy-on-write of a shared block: the rows pass through host memory (rare: parallel sampling only). */
    @Override
    public void copyBlock(int from, int to, int rows) {
        if (rows < 0 || rows > blockSize) throw new IllegalArgumentException("rows " + rows + " outside a block of " + blockSize);
        if (rows == 0) return;
        long rowBytes = (long) kvDim * Float.BYTES;
        long width = rows * rowBytes;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment tmp = arena.allocate(width, 16);
            for (int l = 0; l < keys.length; l++) {
                for (DeviceBuffer b : new DeviceBuffer[] {keys[l], values[l]}) {
                    backend.download(b, (long) from * blockSize * rowBytes, tmp);
                    backend.upload(b, (long) to * blockSize * rowBytes, tmp);
                }
            }
        }
    }

    @Override
    public void close() {
        for (int l = 0; l < keys.length; l++) {
            keys[l].close();
            values[l].close();
        }
    }
}
