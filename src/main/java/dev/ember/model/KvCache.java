package dev.ember.model;

/**
 * Key/value storage for attention, addressed by slot. A sequence's token at position p lives in slot
 * {@code table.slot(p)}: the cache is a pool of fixed-size blocks and each sequence owns a
 * {@link BlockTable} of block ids, as in vLLM's paged attention. Implementations decide how blocks
 * are handed out and shared (a plain free list here; the engine's BlockManager adds prefix sharing).
 */
public interface KvCache {
    /** Tokens per block. */
    int blockSize();

    /** Total blocks in the pool. */
    int numBlocks();

    /** Width of one token's K (and V) row for one layer: numKvHeads * headDim. */
    int kvDim();

    /** Keys of one layer: [numBlocks * blockSize, kvDim] row-major, indexed by slot. */
    float[] keys(int layer);

    /** Values of one layer: [numBlocks * blockSize, kvDim] row-major, indexed by slot. */
    float[] values(int layer);

    /** Takes a free block, or returns -1 when none is left. */
    int allocateBlock();

    /** Returns a block to the pool. */
    void freeBlock(int block);

    /** Blocks currently free. */
    int freeBlocks();
}
