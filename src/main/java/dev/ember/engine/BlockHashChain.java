package dev.ember.engine;

import java.util.Arrays;

/**
 * The chained hashes of one sequence's full blocks, computed on demand and kept: a sequence's tokens
 * only grow, so block i's hash never changes, and preemption or a second prefix lookup reuses them.
 */
final class BlockHashChain {
    private final BlockHasher hasher;
    private final int blockSize;
    private long[] hashes = new long[8]; // [count] hash of block i = H(hash of block i-1, tokens of block i)
    private int count;

    BlockHashChain(BlockHasher hasher, int blockSize) {
        this.hasher = hasher;
        this.blockSize = blockSize;
    }

    /** Hash of block {@code i}; {@code tokens} must hold at least (i + 1) * blockSize ids. */
    long hash(int i, int[] tokens) {
        while (count <= i) {
            if (count == hashes.length) hashes = Arrays.copyOf(hashes, count * 2);
            long parent = count == 0 ? BlockHasher.ROOT : hashes[count - 1];
            hashes[count] = hasher.hash(parent, tokens, count * blockSize, blockSize);
            count++;
        }
        return hashes[i];
    }
}
