package dev.ember.model;

/** A LIFO stack of free KV block ids 0..numBlocks-1, shared by the KV caches' allocation. */
final class BlockFreeList {
    private final int numBlocks;
    private final int[] free; // stack of free block ids
    private int freeCount;

    BlockFreeList(int numBlocks) {
        if (numBlocks < 0) throw new IllegalArgumentException("block count must be >= 0, got " + numBlocks);
        this.numBlocks = numBlocks;
        this.free = new int[numBlocks];
        for (int i = 0; i < numBlocks; i++) free[i] = numBlocks - 1 - i;
        this.freeCount = numBlocks;
    }

    synchronized int allocate() {
        return freeCount == 0 ? -1 : free[--freeCount];
    }

    synchronized void free(int block) {
        if (block < 0 || block >= numBlocks) throw new IllegalArgumentException("no block " + block);
        free[freeCount++] = block;
    }

    synchronized int freeCount() {
        return freeCount;
    }
}
