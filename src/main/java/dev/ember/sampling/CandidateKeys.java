package dev.ember.sampling;

/**
 * Packs (logit, token id) into one long whose natural order is "logit descending, then id ascending",
 * so candidates can be selected and sorted in place in a primitive array: no boxing, no comparator,
 * no allocation per token (which {@code Arrays.sort} does not promise for large arrays).
 */
final class CandidateKeys {
    private CandidateKeys() {}

    /** The key of a logit (not NaN) and its token id. */
    static long key(float logit, int id) {
        int b = Float.floatToRawIntBits(logit + 0.0f); // + 0.0f turns -0.0 into +0.0, so equal logits tie on id
        int sortable = b ^ ((b >> 31) & 0x7FFFFFFF);  // orders like the float, as a signed int
        return ((long) ~sortable << 32) | (id & 0xFFFFFFFFL);
    }

    static int id(long key) {
        return (int) key;
    }

    /**
     * Moves the {@code k} best (smallest) of {@code keys[0, n)} into {@code keys[0, k)}, in no particular order,
     * using a max-heap of size k: O(n log k).
     */
    static void selectBest(long[] keys, int n, int k) {
        for (int i = k / 2 - 1; i >= 0; i--) siftDown(keys, i, k);
        for (int j = k; j < n; j++) {
            if (keys[j] < keys[0]) {
                keys[0] = keys[j];
                siftDown(keys, 0, k);
            }
        }
    }

    /** Sorts {@code keys[0, n)} ascending (best first): heapsort, in place, O(n log n) worst case. */
    static void sort(long[] keys, int n) {
        for (int i = n / 2 - 1; i >= 0; i--) siftDown(keys, i, n);
        for (int end = n - 1; end > 0; end--) {
            long t = keys[0];
            keys[0] = keys[end];
            keys[end] = t;
            siftDown(keys, 0, end);
        }
    }

    /** Max-heap sift-down within {@code keys[0, n)}. */
    private static void siftDown(long[] keys, int i, int n) {
        long v = keys[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= n) break;
            if (child + 1 < n && keys[child + 1] > keys[child]) child++;
            if (keys[child] <= v) break;
            keys[i] = keys[child];
            i = child;
        }
        keys[i] = v;
    }
}
