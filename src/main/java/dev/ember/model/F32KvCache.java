package dev.ember.model;

/** A {@link KvCache} of F32 rows in per-layer heap arrays, with a LIFO free list of blocks. */
public final class F32KvCache implements KvCache {
    private final int blockSize;
    private final int numBlocks;
    private final int kvDim;
    private final float[][] keys;   // [layers][numBlocks * blockSize * kvDim]
    private final float[][] values; // [layers][numBlocks * blockSize * kvDim]
    private final BlockFreeList free;

    public F32KvCache(int layers, int kvDim, int blockSize, int numBlocks) {
        long perLayer = (long) numBlocks * blockSize * kvDim;
        if (perLayer > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("KV cache of " + numBlocks + " blocks x " + blockSize + " tokens x " + kvDim
                    + " floats per layer exceeds one array; use fewer blocks");
        }
        this.blockSize = blockSize;
        this.numBlocks = numBlocks;
        this.kvDim = kvDim;
        this.keys = new float[layers][(int) perLayer];
        this.values = new float[layers][(int) perLayer];
        this.free = new BlockFreeList(numBlocks);
    }

    /** A cache with room for {@code tokens} tokens, rounded up to whole blocks. */
    public static F32KvCache forTokens(int layers, int kvDim, int blockSize, int tokens) {
        return new F32KvCache(layers, kvDim, blockSize, (tokens + blockSize - 1) / blockSize);
    }

    @Override public int blockSize() { return blockSize; }
    @Override public int numBlocks() { return numBlocks; }
    @Override public int kvDim() { return kvDim; }
    @Override public int numLayers() { return keys.length; }
    @Override public float[] keys(int layer) { return keys[layer]; }
    @Override public float[] values(int layer) { return values[layer]; }

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
}
