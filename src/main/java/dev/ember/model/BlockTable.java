package dev.ember.model;

import java.util.Arrays;

/** One sequence's KV blocks in position order: position p lives in slot blocks[p / B] * B + p % B. */
public final class BlockTable {
    private final KvCache cache;
    private int[] blocks = new int[8];
    private int count;

    public BlockTable(KvCache cache) {
        this.cache = cache;
    }

    /** Slot of position {@code pos}; the block must already be reserved. */
    public int slot(int pos) {
        int b = cache.blockSize();
        return blocks[pos / b] * b + pos % b;
    }

    /** Makes room for positions [0, tokens); throws when the cache has no free blocks left. */
    public void reserve(int tokens) {
        if (!tryReserve(tokens)) {
            int needed = (tokens + cache.blockSize() - 1) / cache.blockSize();
            throw new KvCacheFullException("KV cache is full: " + tokens + " tokens need " + needed + " blocks of "
                    + cache.blockSize() + ", " + count + " held and none free");
        }
    }

    /** Like {@link #reserve} but returns false instead of throwing when the cache runs out (blocks taken so far are kept). */
    public boolean tryReserve(int tokens) {
        int needed = (tokens + cache.blockSize() - 1) / cache.blockSize();
        while (count < needed) {
            int block = cache.allocateBlock();
            if (block < 0) return false;
            if (count == blocks.length) blocks = Arrays.copyOf(blocks, count * 2);
            blocks[count++] = block;
        }
        return true;
    }

    /**
     * Appends a block the caller already holds a reference to (a prefix-cache hit or a fork shares a
     * block that another table also lists); {@link #release} will give that reference back.
     */
    public void append(int block) {
        if (count == blocks.length) blocks = Arrays.copyOf(blocks, count * 2);
        blocks[count++] = block;
    }

    /** Replaces block {@code i} (copy-on-write); the caller has moved the references. */
    public void set(int i, int block) {
        if (i < 0 || i >= count) throw new IndexOutOfBoundsException("block " + i + " of " + count);
        blocks[i] = block;
    }

    /** Capacity in tokens of the blocks held. */
    public int capacity() {
        return count * cache.blockSize();
    }

    public int blockCount() {
        return count;
    }

    public int block(int i) {
        return blocks[i];
    }

    /**
     * Returns every block to the cache, last block first: a cache that keeps freed blocks for reuse in
     * LRU order (the engine's BlockManager) then evicts a sequence's tail before its prefix, which is
     * the part other requests are likely to share.
     */
    public void release() {
        for (int i = count - 1; i >= 0; i--) cache.freeBlock(blocks[i]);
        count = 0;
    }
}
