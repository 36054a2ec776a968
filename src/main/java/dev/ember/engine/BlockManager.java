package dev.ember.engine;

import dev.ember.model.BlockTable;
import dev.ember.model.F32KvCache;
import dev.ember.model.KvCache;

import java.util.HashMap;
import java.util.Map;

/**
 * vLLM's paged KV block manager: one preallocated pool of fixed-size blocks, reference-counted so
 * that sequences can share them, with automatic prefix caching and copy-on-write.
 *
 * <p>It is the {@link KvCache} the {@link dev.ember.model.ModelRunner} reads: K/V rows live in the
 * wrapped storage (whose own free list is bypassed), every sequence's {@link BlockTable} maps positions
 * to slots, and {@link BlockTable#release} hands references back through {@link #freeBlock}.
 *
 * <p><b>Prefix caching.</b> A block that fills up (during prefill or decode) is registered under the
 * chained hash of its tokens ({@link BlockHasher}). When a sequence is admitted, its leading full blocks
 * are looked up and shared instead of recomputed. A block whose last reference goes stays cached in
 * the free list, ordered least recently used first; it is evicted (its hash dropped) only when a fresh
 * block is needed and nothing uncached is free. A hit is verified beyond the hash: the block's token ids
 * must equal the sequence's, and its parent must be the block matched just before, in the same
 * incarnation (blocks carry a generation bumped on every reuse), so by induction the whole prefix is
 * exactly equal and a hash collision can cost a miss but never a wrong K/V row.
 *
 * <p><b>Copy-on-write.</b> Sequences that fork from one prompt (n &gt; 1) share every block, including
 * the partial last one. Before a sequence writes positions into a block that someone else also holds,
 * {@link #allocateSlots} gives it a private copy of the rows written so far, in every layer.
 *
 * <p>Used by the engine thread only; the counters and {@link #freeBlocks()} may be read from any thread.
 */
public final class BlockManager implements KvCache {
    private static final int NONE = -1;

    private final KvCache storage;
    private final BlockHasher hasher;
    private final boolean prefixCaching;
    private final int blockSize;
    private final int numBlocks;

    private final int[] refCount;         // [numBlocks] tables holding the block; 0 = in the free list
    private final int[] generation;       // [numBlocks] bumped each time the block is handed out fresh
    private final boolean[] cached;       // [numBlocks] registered in byHash
    private final long[] hash;            // [numBlocks] chained hash, when cached
    private final int[] parent;           // [numBlocks] block before it in the prefix it was computed under, NONE for the first
    private final int[] parentGeneration; // [numBlocks] that parent's generation at the time
    private final int[] tokens;           // [numBlocks * blockSize] token ids of cached blocks
    private final Map<Long, Integer> byHash = new HashMap<>();

    // Free list, doubly linked through prev/next: head is evicted first, tail was freed last.
    private final int[] prev;
    private final int[] next;
    private int head = NONE;
    private int tail = NONE;
    private volatile int freeCount;

    private volatile long prefixQueries;
    private volatile long prefixHits;
    private volatile long evictions;
    private volatile long copiesOnWrite;

    /**
     * @param storage       the K/V arrays; the manager owns all of its blocks from now on
     * @param hasher        block identity for prefix caching
     * @param prefixCaching share cached full blocks between sequences (off: blocks are only shared by forks)
     */
    public BlockManager(KvCache storage, BlockHasher hasher, boolean prefixCaching) {
        this.storage = storage;
        this.hasher = hasher;
        this.prefixCaching = prefixCaching;
        this.blockSize = storage.blockSize();
        this.numBlocks = storage.numBlocks();
        this.refCount = new int[numBlocks];
        this.generation = new int[numBlocks];
        this.cached = new boolean[numBlocks];
        this.hash = new long[numBlocks];
        this.parent = new int[numBlocks];
        this.parentGeneration = new int[numBlocks];
        this.tokens = new int[numBlocks * blockSize];
        this.prev = new int[numBlocks];
        this.next = new int[numBlocks];
        for (int b = 0; b < numBlocks; b++) pushTail(b);
    }

    /** An F32 pool of {@code numBlocks} blocks with SHA-256 block hashes. */
    public static BlockManager create(int layers, int kvDim, int blockSize, int numBlocks, boolean prefixCaching) {
        return new BlockManager(new F32KvCache(layers, kvDim, blockSize, numBlocks), BlockHasher.sha256(), prefixCaching);
    }

    /** Bytes one block takes: K and V, every layer, F32. */
    public static long bytesPerBlock(int layers, int kvDim, int blockSize) {
        return 2L * layers * blockSize * kvDim * Float.BYTES;
    }

    /** Blocks that fit in {@code bytes}. */
    public static int blocksForMemory(long bytes, int layers, int kvDim, int blockSize) {
        return (int) Math.min(Integer.MAX_VALUE, bytes / bytesPerBlock(layers, kvDim, blockSize));
    }

    // ---- KvCache ----

    @Override public int blockSize() { return blockSize; }
    @Override public int numBlocks() { return numBlocks; }
    @Override public int kvDim() { return storage.kvDim(); }
    @Override public int numLayers() { return storage.numLayers(); }
    @Override public float[] keys(int layer) { return storage.keys(layer); }
    @Override public float[] values(int layer) { return storage.values(layer); }
    @Override public void backBlock(int block) { storage.backBlock(block); }

    @Override
    public void copyBlock(int from, int to, int rows) {
        storage.copyBlock(from, to, rows);
    }

    /** Takes the least recently used free block (evicting it from the prefix cache), or -1 when none is free. */
    @Override
    public int allocateBlock() {
        int b = head;
        if (b == NONE) return -1;
        unlink(b);
        if (cached[b]) {
            uncache(b);
            evictions++;
        }
        generation[b]++;
        refCount[b] = 1;
        storage.backBlock(b);
        return b;
    }

    /**
     * Drops one reference. At zero the block joins the free list: a cached block at the tail (most
     * recently used, evicted last), an uncached one at the head (nothing is lost by reusing it first).
     */
    @Override
    public void freeBlock(int block) {
        if (block < 0 || block >= numBlocks) throw new IllegalArgumentException("no block " + block);
        if (refCount[block] <= 0) throw new IllegalStateException("block " + block + " freed more often than taken");
        if (--refCount[block] > 0) return;
        if (cached[block]) pushTail(block);
        else pushHead(block);
    }

    /** Blocks no sequence holds (cached ones included: they can be evicted at any time). */
    @Override
    public int freeBlocks() {
        return freeCount;
    }

    /** Blocks held by at least one sequence. */
    public int usedBlocks() {
        return numBlocks - freeCount;
    }

    public boolean prefixCaching() {
        return prefixCaching;
    }

    // ---- prefix caching ----

    /**
     * Shares the cached blocks that start {@code tokens[0, numTokens)} with {@code table} (which must be
     * empty) and returns how many tokens they hold: a multiple of the block size, at most
     * {@code numTokens - 1}. The last token is always left to compute, even when its whole block is
     * cached, because only K/V are cached: sampling needs the logits of the last position, and the only
     * way to get them is to run that token through the model (vLLM does the same).
     */
    int matchPrefix(BlockTable table, int[] tokens, int numTokens, BlockHashChain chain) {
        if (table.blockCount() != 0) throw new IllegalStateException("prefix lookup into a table that holds " + table.blockCount() + " blocks");
        if (!prefixCaching) return 0;
        int maxBlocks = (numTokens - 1) / blockSize;
        int previous = NONE;
        int hit = 0;
        while (hit < maxBlocks) {
            Integer b = byHash.get(chain.hash(hit, tokens));
            if (b == null || !holds(b, previous, tokens, hit * blockSize)) break;
            if (refCount[b] == 0) unlink(b);
            refCount[b]++;
            table.append(b);
            previous = b;
            hit++;
        }
        return hit * blockSize;
    }

    /** Whether cached block {@code b} holds exactly these tokens after exactly block {@code previous}. */
    private boolean holds(int b, int previous, int[] ids, int from) {
        if (!cached[b] || parent[b] != previous) return false;
        if (previous != NONE && parentGeneration[b] != generation[previous]) return false;
        for (int i = 0; i < blockSize; i++) {
            if (tokens[b * blockSize + i] != ids[from + i]) return false;
        }
        return true;
    }

    /** Counts one admitted sequence's lookup: tokens it asked about and tokens found cached. */
    void recordPrefixQuery(int queried, int hit) {
        prefixQueries += queried;
        prefixHits += hit;
    }

    /**
     * Registers the blocks of {@code table} that are full of computed tokens, from block {@code from}
     * (the ones before are known to the cache already) up to {@code numComputed / blockSize}, and returns
     * that new bound. A block whose hash is already taken by a reachable block stays uncached (two
     * sequences computed the same prefix at once); a block whose parent is not cached is unreachable
     * by lookups and is not registered either.
     */
    int cacheFullBlocks(BlockTable table, int[] ids, int numComputed, BlockHashChain chain, int from) {
        int full = numComputed / blockSize;
        if (!prefixCaching) return full;
        for (int i = from; i < full; i++) {
            int b = table.block(i);
            if (cached[b]) continue;
            int previous = i == 0 ? NONE : table.block(i - 1);
            if (previous != NONE && !cached[previous]) continue;
            long h = chain.hash(i, ids);
            Integer other = byHash.get(h);
            if (other != null) {
                if (!orphan(other)) continue; // a twin (or, were SHA-256 to collide, another reachable block) keeps the entry
                uncache(other); // its parent was evicted or replaced: no lookup can reach it any more
            }
            cached[b] = true;
            hash[b] = h;
            parent[b] = previous;
            parentGeneration[b] = previous == NONE ? 0 : generation[previous];
            System.arraycopy(ids, i * blockSize, tokens, b * blockSize, blockSize);
            byHash.put(h, b);
        }
        return full;
    }

    /** Whether a cached block's parent is gone, so no lookup can walk to it. */
    private boolean orphan(int b) {
        int p = parent[b];
        return p != NONE && (!cached[p] || parentGeneration[b] != generation[p]);
    }

    private void uncache(int b) {
        byHash.remove(hash[b], b);
        cached[b] = false;
    }

    // ---- sharing and copy-on-write ----

    /** Makes {@code to} (empty) share every block of {@code from}: a fork of a sequence. */
    void fork(BlockTable from, BlockTable to) {
        if (to.blockCount() != 0) throw new IllegalStateException("fork into a table that holds " + to.blockCount() + " blocks");
        for (int i = 0; i < from.blockCount(); i++) {
            int b = from.block(i);
            refCount[b]++;
            to.append(b);
        }
    }

    /**
     * Makes positions [from, to) of {@code table} writable: blocks up to {@code to} are reserved and every
     * block the writes touch that another table also holds is first copied (rows before {@code from}, all
     * layers) into a fresh block of this table's own. Returns false when the pool ran out; whatever was
     * taken so far stays in the table and is returned by its release.
     */
    boolean allocateSlots(BlockTable table, int from, int to) {
        int last = Math.min(table.blockCount(), (to + blockSize - 1) / blockSize);
        for (int i = from / blockSize; i < last; i++) {
            int b = table.block(i);
            if (refCount[b] <= 1) continue;
            int copy = allocateBlock();
            if (copy < 0) return false;
            copyBlock(b, copy, Math.clamp(from - (long) i * blockSize, 0, blockSize));
            refCount[b]--; // others still hold it: it never reaches the free list here
            table.set(i, copy);
            copiesOnWrite++;
        }
        return table.tryReserve(to);
    }

    /** Reference count of a block (tests and assertions). */
    int refCount(int block) {
        return refCount[block];
    }

    /** A sequence's hash chain, with this manager's hash function and block size. */
    BlockHashChain newHashChain() {
        return new BlockHashChain(hasher, blockSize);
    }

    /** Whether a block is registered in the prefix cache. */
    boolean isCached(int block) {
        return cached[block];
    }

    /**
     * Checks the bookkeeping: the free list holds exactly the blocks with no references, once each, and
     * the hash index points only at cached blocks. Throws on the first inconsistency.
     */
    void checkConsistency() {
        int seen = 0;
        boolean[] inList = new boolean[numBlocks];
        for (int b = head, p = NONE; b != NONE; p = b, b = next[b]) {
            if (prev[b] != p) throw new IllegalStateException("free list broken at block " + b);
            if (inList[b]) throw new IllegalStateException("block " + b + " twice in the free list");
            if (refCount[b] != 0) throw new IllegalStateException("free block " + b + " has " + refCount[b] + " references");
            inList[b] = true;
            seen++;
        }
        if (seen != freeCount) throw new IllegalStateException("free list has " + seen + " blocks, count says " + freeCount);
        for (int b = 0; b < numBlocks; b++) {
            if (!inList[b] && refCount[b] <= 0) throw new IllegalStateException("block " + b + " lost: no references and not free");
        }
        for (Map.Entry<Long, Integer> e : byHash.entrySet()) {
            int b = e.getValue();
            if (!cached[b] || hash[b] != e.getKey()) throw new IllegalStateException("hash index points at block " + b + " wrongly");
        }
    }

    /** Tokens looked up in the prefix cache by admitted sequences. */
    public long prefixCacheQueries() {
        return prefixQueries;
    }

    /** Of those, tokens found cached. */
    public long prefixCacheHits() {
        return prefixHits;
    }

    /** Cached blocks dropped to make room. */
    public long evictions() {
        return evictions;
    }

    /** Blocks copied because a sharer wrote into them. */
    public long copiesOnWrite() {
        return copiesOnWrite;
    }

    /** Blocks currently registered in the prefix cache (held or free). */
    public int cachedBlocks() {
        return byHash.size();
    }

    // ---- free list ----

    private void pushTail(int b) {
        prev[b] = tail;
        next[b] = NONE;
        if (tail == NONE) head = b;
        else next[tail] = b;
        tail = b;
        freeCount++;
    }

    private void pushHead(int b) {
        next[b] = head;
        prev[b] = NONE;
        if (head == NONE) tail = b;
        else prev[head] = b;
        head = b;
        freeCount++;
    }

    private void unlink(int b) {
        int p = prev[b], n = next[b];
        if (p == NONE) head = n;
        else next[p] = n;
        if (n == NONE) tail = p;
        else prev[n] = p;
        prev[b] = next[b] = NONE;
        freeCount--;
    }
}
