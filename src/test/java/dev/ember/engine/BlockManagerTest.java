package dev.ember.engine;

import dev.ember.model.BlockTable;
import dev.ember.model.F32KvCache;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The block pool on its own: ref-counting, prefix hits and their verification, LRU eviction, copy-on-write. */
class BlockManagerTest {
    private static final int LAYERS = 2;
    private static final int KV_DIM = 3;
    private static final int B = 4;

    private static BlockManager manager(int blocks, BlockHasher hasher) {
        return new BlockManager(new F32KvCache(LAYERS, KV_DIM, B, blocks), hasher, true);
    }

    private static BlockManager manager(int blocks) {
        return manager(blocks, BlockHasher.sha256());
    }

    private static int[] ids(int from, int n) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = from + i;
        return t;
    }

    /** A sequence computed over {@code tokens}: slots allocated, full blocks registered. */
    private static BlockTable computed(BlockManager m, int[] tokens) {
        BlockTable t = new BlockTable(m);
        assertTrue(m.allocateSlots(t, 0, tokens.length));
        m.cacheFullBlocks(t, tokens, tokens.length, m.newHashChain(), 0);
        return t;
    }

    @Test
    void blocksAreTakenFreedAndRefCounted() {
        BlockManager m = manager(4);
        assertEquals(0, m.usedBlocks());
        BlockTable a = new BlockTable(m);
        assertTrue(m.allocateSlots(a, 0, 10)); // 3 blocks
        assertEquals(3, m.usedBlocks());
        assertEquals(1, m.freeBlocks());
        BlockTable b = new BlockTable(m);
        assertFalse(m.allocateSlots(b, 0, 8), "2 blocks wanted, 1 left");
        assertEquals(1, b.blockCount(), "what was taken stays with the table until released");
        b.release();
        BlockTable c = new BlockTable(m);
        m.fork(a, c);
        for (int i = 0; i < 3; i++) assertEquals(2, m.refCount(a.block(i)));
        a.release();
        assertEquals(3, m.usedBlocks(), "the fork still holds them");
        c.release();
        assertEquals(0, m.usedBlocks());
        m.checkConsistency();
        assertThrows(IllegalStateException.class, () -> m.freeBlock(0), "a double free is caught");
    }

    @Test
    void aSecondSequenceSharesTheCachedFullBlocksOfItsPrefix() {
        BlockManager m = manager(16);
        int[] first = ids(100, 12);            // 3 full blocks
        BlockTable a = computed(m, first);
        assertEquals(3, m.cachedBlocks());

        int[] second = ids(100, 14);
        second[9] = 7;                         // differs in block 2
        BlockTable b = new BlockTable(m);
        int hit = m.matchPrefix(b, second, second.length, m.newHashChain());
        assertEquals(8, hit, "blocks 0 and 1 match, block 2 differs");
        assertEquals(a.block(0), b.block(0));
        assertEquals(a.block(1), b.block(1));
        assertEquals(2, m.refCount(a.block(0)));

        BlockTable c = new BlockTable(m);
        assertEquals(8, m.matchPrefix(c, first, first.length, m.newHashChain()),
                "an identical 12-token prompt reuses 8: its last token is recomputed for its logits");
        BlockTable d = new BlockTable(m);
        int[] longer = ids(100, 13);
        assertEquals(12, m.matchPrefix(d, longer, longer.length, m.newHashChain()));
        a.release();
        b.release();
        c.release();
        d.release();
        assertEquals(0, m.usedBlocks());
        assertEquals(3, m.cachedBlocks(), "freed blocks stay cached");
        BlockTable e = new BlockTable(m);
        assertEquals(12, m.matchPrefix(e, longer, longer.length, m.newHashChain()), "hits on blocks nobody holds");
        assertEquals(3, m.usedBlocks());
        e.release();
        m.checkConsistency();
    }

    @Test
    void equalHashesWithDifferentTokensNeverHit() {
        BlockManager m = manager(16, (parent, tokens, from, count) -> 42L); // every block collides
        BlockTable a = computed(m, ids(100, 12));
        BlockTable b = new BlockTable(m);
        int[] other = ids(200, 12);
        assertEquals(0, m.matchPrefix(b, other, other.length, m.newHashChain()), "same hash, other tokens");

        // Same tokens in block 1 but under another block 0: the hash chain would say so; the parent check does too.
        int[] shifted = ids(100, 12);
        shifted[0] = 5;
        BlockTable c = new BlockTable(m);
        assertEquals(0, m.matchPrefix(c, shifted, shifted.length, m.newHashChain()));

        BlockTable d = new BlockTable(m);
        int[] same = ids(100, 13);
        assertEquals(4, m.matchPrefix(d, same, same.length, m.newHashChain()),
                "only block 0 owns hash 42; block 1's lookup finds block 0 and rejects it");
        a.release();
        d.release();
        m.checkConsistency();
    }

    @Test
    void evictionTakesUncachedBlocksFirstThenTheLeastRecentlyUsed() {
        BlockManager m = manager(4);
        int[] pa = ids(10, 4), pb = ids(20, 4), pc = ids(30, 4);
        computed(m, pa).release();
        computed(m, pb).release();
        computed(m, pc).release();
        assertEquals(3, m.cachedBlocks());

        BlockTable partial = new BlockTable(m);
        assertTrue(m.allocateSlots(partial, 0, 2)); // the never-cached block
        assertEquals(0, m.evictions());
        partial.release();                           // uncached: back to the head, reused first
        BlockTable again = new BlockTable(m);
        assertTrue(m.allocateSlots(again, 0, 2));
        assertEquals(0, m.evictions());

        BlockTable touch = new BlockTable(m);       // a hit on A makes it the most recently used
        int[] qa = ids(10, 5);
        assertEquals(4, m.matchPrefix(touch, qa, qa.length, m.newHashChain()));
        touch.release();

        BlockTable x = new BlockTable(m);
        assertTrue(m.allocateSlots(x, 0, 4));
        assertEquals(1, m.evictions());
        assertEquals(0, hits(m, pb), "B was least recently used");
        assertEquals(4, hits(m, pc));
        assertEquals(4, hits(m, pa));
        BlockTable y = new BlockTable(m);
        assertTrue(m.allocateSlots(y, 0, 4));
        assertEquals(0, hits(m, pc), "then C (A was touched again after it)");
        assertEquals(4, hits(m, pa));
        again.release();
        x.release();
        y.release();
        m.checkConsistency();
    }

    private static int hits(BlockManager m, int[] blockTokens) {
        int[] q = java.util.Arrays.copyOf(blockTokens, blockTokens.length + 1);
        BlockTable t = new BlockTable(m);
        int hit = m.matchPrefix(t, q, q.length, m.newHashChain());
        t.release();
        return hit;
    }

    @Test
    void aChildWhoseParentWasEvictedIsNotReachedThroughTheParentsNewIncarnation() {
        BlockManager m = manager(3);
        int[] p = ids(10, 8);
        BlockTable a = computed(m, p);              // parent P and child C cached
        int parent = a.block(0), child = a.block(1);
        m.freeBlock(parent);                         // parent first: it becomes the LRU one
        m.freeBlock(child);
        BlockTable t = new BlockTable(m);
        assertTrue(m.allocateSlots(t, 0, 4));        // the uncached block
        BlockTable u = new BlockTable(m);
        assertTrue(m.allocateSlots(u, 0, 4));        // evicts P, reuses its id
        assertEquals(parent, u.block(0));
        assertEquals(1, m.evictions());
        m.cacheFullBlocks(u, ids(10, 4), 4, m.newHashChain(), 0); // same tokens again, a new incarnation
        assertTrue(m.isCached(child));
        int[] q = ids(10, 9);
        BlockTable v = new BlockTable(m);
        assertEquals(4, m.matchPrefix(v, q, q.length, m.newHashChain()),
                "C was computed under P's old incarnation: the generation check stops the walk there");
        t.release();
        u.release();
        v.release();
        m.checkConsistency();
    }

    @Test
    void copyOnWriteGivesTheWriterItsOwnCopyOfThePartialBlock() {
        BlockManager m = manager(8);
        BlockTable a = new BlockTable(m);
        assertTrue(m.allocateSlots(a, 0, 6)); // block 0 full, block 1 holds rows 0..1
        for (int l = 0; l < LAYERS; l++) {
            for (int pos = 0; pos < 6; pos++) {
                for (int d = 0; d < KV_DIM; d++) {
                    m.keys(l)[a.slot(pos) * KV_DIM + d] = 1000 * l + 10 * pos + d;
                    m.values(l)[a.slot(pos) * KV_DIM + d] = -(1000 * l + 10 * pos + d);
                }
            }
        }
        BlockTable b = new BlockTable(m);
        m.fork(a, b);
        int shared = a.block(1);
        assertEquals(2, m.refCount(shared));

        assertTrue(m.allocateSlots(b, 6, 7), "b writes position 6, inside the shared block");
        assertEquals(1, m.copiesOnWrite());
        assertNotEquals(shared, b.block(1), "b got its own block");
        assertEquals(a.block(0), b.block(0), "the full block stays shared");
        assertEquals(2, m.refCount(a.block(0)));
        assertEquals(1, m.refCount(shared));
        for (int l = 0; l < LAYERS; l++) {
            for (int pos = 0; pos < 6; pos++) {
                for (int d = 0; d < KV_DIM; d++) {
                    assertEquals(m.keys(l)[a.slot(pos) * KV_DIM + d], m.keys(l)[b.slot(pos) * KV_DIM + d], "K layer " + l + " pos " + pos);
                    assertEquals(m.values(l)[a.slot(pos) * KV_DIM + d], m.values(l)[b.slot(pos) * KV_DIM + d], "V layer " + l + " pos " + pos);
                }
            }
        }
        // Diverge: each writes its own row 6; neither sees the other's.
        m.keys(0)[b.slot(6) * KV_DIM] = 1;
        assertTrue(m.allocateSlots(a, 6, 7));
        assertEquals(1, m.copiesOnWrite(), "a is the last holder: it writes in place");
        assertEquals(shared, a.block(1));
        m.keys(0)[a.slot(6) * KV_DIM] = 2;
        assertEquals(1, m.keys(0)[b.slot(6) * KV_DIM]);
        a.release();
        b.release();
        assertEquals(0, m.usedBlocks());
        m.checkConsistency();
    }

    @Test
    void copyOnWriteFailsCleanlyWhenThePoolIsFull() {
        BlockManager m = manager(2);
        BlockTable a = new BlockTable(m);
        assertTrue(m.allocateSlots(a, 0, 6));
        BlockTable b = new BlockTable(m);
        m.fork(a, b);
        assertFalse(m.allocateSlots(b, 6, 7), "no block for the copy");
        a.release();
        b.release();
        assertEquals(0, m.usedBlocks());
        m.checkConsistency();
    }

    @Test
    void poolIsSizedByMemory() {
        // 2 layers x (K + V) x 16 tokens x 64 floats x 4 bytes = 16 KiB a block.
        assertEquals(16384, BlockManager.bytesPerBlock(2, 64, 16));
        assertEquals(64, BlockManager.blocksForMemory(1 << 20, 2, 64, 16));
        assertEquals(2L << 30, Engine.Config.parseMemory("2G"));
        assertEquals(512L << 20, Engine.Config.parseMemory("512MiB"));
        assertEquals(1536L << 20, Engine.Config.parseMemory("1.5g"));
        assertEquals(1000, Engine.Config.parseMemory("1000"));
        assertTrue(Engine.Config.parseMemory("10%") > 0);
        assertThrows(IllegalArgumentException.class, () -> Engine.Config.parseMemory("lots"));
    }
}
