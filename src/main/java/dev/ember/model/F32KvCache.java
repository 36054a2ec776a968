package dev.ember.model;

import java.util.Arrays;

/**
 * A {@link KvCache} of F32 rows in per-layer heap arrays, with a LIFO free list of blocks.
 *
 * <p>The arrays cover the blocks handed out so far, not the whole pool: they start at
 * {@link #INITIAL_BLOCKS} blocks and double (up to the pool) when a block beyond them is handed out
 * ({@link #backBlock}). Allocating the whole pool up front cost a cold start about a quarter of a second
 * for a 512 MiB pool (zeroing it, and copying each array out of the young generation), before any request
 * had used a row of it. Blocks are handed out lowest id first, so the arrays stay as large as the most
 * blocks in use at once (and, with prefix caching, the cached ones). The pool must still fit the heap:
 * that is checked here, so a pool too large fails at start-up as before rather than mid-request.
 */
public final class F32KvCache implements KvCache {
    /** Blocks the arrays cover at first (fewer when the pool is smaller). */
    static final int INITIAL_BLOCKS = 16;

    private final int blockSize;
    private final int numBlocks;
    private final int kvDim;
    private final float[][] keys;   // [layers][backed * blockSize * kvDim]
    private final float[][] values; // [layers][backed * blockSize * kvDim]
    private final BlockFreeList free;
    private int backed; // blocks the arrays cover

    public F32KvCache(int layers, int kvDim, int blockSize, int numBlocks) {
        long perLayer = (long) numBlocks * blockSize * kvDim;
        if (perLayer > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("KV cache of " + numBlocks + " blocks x " + blockSize + " tokens x " + kvDim
                    + " floats per layer exceeds one array; use fewer blocks");
        }
        long poolBytes = 2L * layers * perLayer * Float.BYTES;
        Runtime rt = Runtime.getRuntime();
        long available = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (rt.maxMemory() != Long.MAX_VALUE && poolBytes > available) {
            throw new IllegalArgumentException("a KV cache of " + numBlocks + " blocks (" + (poolBytes >> 20) + " MiB) does not fit the heap ("
                    + (available >> 20) + " MiB available of " + (rt.maxMemory() >> 20) + " MiB); use a smaller --kv-cache-memory, --kv-cache-tokens or --ctx-size, or a larger -Xmx");
        }
        this.blockSize = blockSize;
        this.numBlocks = numBlocks;
        this.kvDim = kvDim;
        this.backed = Math.min(numBlocks, INITIAL_BLOCKS);
        this.keys = new float[layers][backed * blockSize * kvDim];
        this.values = new float[layers][backed * blockSize * kvDim];
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
    @Override public synchronized float[] keys(int layer) { return keys[layer]; }
    @Override public synchronized float[] values(int layer) { return values[layer]; }

    @Override
    public int allocateBlock() {
        int b = free.allocate();
        if (b >= 0) backBlock(b);
        return b;
    }

    /** Grows the arrays (doubling, up to the pool) so that they cover {@code block}. */
    @Override
    public synchronized void backBlock(int block) {
        if (block < backed) return;
        if (block >= numBlocks) throw new IllegalArgumentException("no block " + block + " in a pool of " + numBlocks);
        int blocks = (int) Math.min(numBlocks, Math.max(block + 1L, 2L * backed));
        int length = blocks * blockSize * kvDim;
        for (int l = 0; l < keys.length; l++) {
            keys[l] = Arrays.copyOf(keys[l], length);
            values[l] = Arrays.copyOf(values[l], length);
        }
        backed = blocks;
    }

    /** Blocks the arrays cover now (visible for tests). */
    synchronized int backedBlocks() {
        return backed;
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
