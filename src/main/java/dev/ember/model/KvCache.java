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

    /** Layers, each with its own keys and values arrays. */
    int numLayers();

    /**
     * Keys of one layer: [blocks * blockSize, kvDim] row-major, indexed by slot, where blocks covers at least
     * every block handed out so far. Storage may grow as blocks are handed out, so callers fetch the array
     * again after allocating rather than keep it.
     */
    float[] keys(int layer);

    /** Values of one layer, laid out like {@link #keys}. */
    float[] values(int layer);

    /**
     * Makes sure the rows of {@code block} exist in {@link #keys} and {@link #values}: storage that grows on
     * demand grows here. A manager that hands out the blocks of a storage itself calls this for each block it
     * hands out; {@link #allocateBlock} does it already. Default: nothing (all blocks are backed from the start).
     */
    default void backBlock(int block) {
    }

    /** Takes a free block, or returns -1 when none is left. */
    int allocateBlock();

    /** Returns a block to the pool. */
    void freeBlock(int block);

    /** Blocks currently free. */
    int freeBlocks();

    /**
     * Copies the first {@code rows} K and V rows of block {@code from} into block {@code to}, in every
     * layer: the copy in copy-on-write, when a sequence must write into a block it shares.
     */
    default void copyBlock(int from, int to, int rows) {
        int b = blockSize();
        if (rows < 0 || rows > b) throw new IllegalArgumentException("rows " + rows + " outside a block of " + b);
        int width = rows * kvDim();
        for (int l = 0; l < numLayers(); l++) {
            System.arraycopy(keys(l), from * b * kvDim(), keys(l), to * b * kvDim(), width);
            System.arraycopy(values(l), from * b * kvDim(), values(l), to * b * kvDim(), width);
        }
    }
}
