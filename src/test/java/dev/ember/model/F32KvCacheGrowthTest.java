package dev.ember.model;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The F32 KV arrays cover the blocks handed out, growing on demand, and keep what was written. */
class F32KvCacheGrowthTest {
    private static final int LAYERS = 3;
    private static final int KV_DIM = 5;
    private static final int B = 4;

    @Test
    void startsSmallAndGrowsByDoublingAsBlocksAreHandedOut() {
        F32KvCache c = new F32KvCache(LAYERS, KV_DIM, B, 100);
        assertEquals(F32KvCache.INITIAL_BLOCKS, c.backedBlocks());
        assertEquals(F32KvCache.INITIAL_BLOCKS * B * KV_DIM, c.keys(0).length);
        for (int i = 0; i < F32KvCache.INITIAL_BLOCKS; i++) assertEquals(i, c.allocateBlock(), "lowest id first");
        assertEquals(F32KvCache.INITIAL_BLOCKS, c.backedBlocks(), "no growth while the blocks are covered");
        assertEquals(F32KvCache.INITIAL_BLOCKS, c.allocateBlock());
        assertEquals(2 * F32KvCache.INITIAL_BLOCKS, c.backedBlocks());
        for (int l = 0; l < LAYERS; l++) {
            assertEquals(2 * F32KvCache.INITIAL_BLOCKS * B * KV_DIM, c.keys(l).length);
            assertEquals(2 * F32KvCache.INITIAL_BLOCKS * B * KV_DIM, c.values(l).length);
        }
        while (c.allocateBlock() >= 0) { }
        assertEquals(100, c.backedBlocks(), "capped at the pool");
        assertEquals(100 * B * KV_DIM, c.keys(LAYERS - 1).length);
        assertEquals(0, c.freeBlocks());
    }

    @Test
    void rowsWrittenBeforeAGrowthAreKept() {
        F32KvCache c = new F32KvCache(LAYERS, KV_DIM, B, 64);
        int first = c.allocateBlock();
        for (int l = 0; l < LAYERS; l++) {
            for (int i = 0; i < B * KV_DIM; i++) {
                c.keys(l)[first * B * KV_DIM + i] = 100 * l + i;
                c.values(l)[first * B * KV_DIM + i] = -(100 * l + i);
            }
        }
        c.backBlock(63);
        assertEquals(64, c.backedBlocks());
        for (int l = 0; l < LAYERS; l++) {
            for (int i = 0; i < B * KV_DIM; i++) {
                assertEquals(100 * l + i, c.keys(l)[first * B * KV_DIM + i]);
                assertEquals(-(100 * l + i), c.values(l)[first * B * KV_DIM + i]);
            }
            assertEquals(0f, c.keys(l)[63 * B * KV_DIM], "new rows start at zero");
        }
        c.copyBlock(first, 63, B);
        assertEquals(100 * (LAYERS - 1) + 1, c.keys(LAYERS - 1)[63 * B * KV_DIM + 1]);
    }

    @Test
    void aSmallPoolIsBackedWhole() {
        F32KvCache c = new F32KvCache(LAYERS, KV_DIM, B, 3);
        assertEquals(3, c.backedBlocks());
        assertEquals(3 * B * KV_DIM, c.keys(0).length);
        assertThrows(IllegalArgumentException.class, () -> c.backBlock(3));
    }

    @Test
    void aPoolLargerThanTheHeapFailsAtConstruction() {
        long max = Runtime.getRuntime().maxMemory();
        // one layer's array stays under the 2^31 element limit while the whole pool exceeds any test heap
        int kvDim = 4096;
        int blocks = (int) Math.min(Integer.MAX_VALUE / 2 / B / kvDim, max / (2L * 64 * B * kvDim * Float.BYTES) + 2);
        var e = assertThrows(IllegalArgumentException.class, () -> new F32KvCache(64, kvDim, B, blocks));
        assertTrue(e.getMessage().contains("does not fit the heap"), e.getMessage());
    }
}
