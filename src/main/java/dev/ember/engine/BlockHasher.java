package dev.ember.engine;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Identity of a full KV block for prefix caching, vLLM's scheme: a block's hash is chained over its
 * parent block's hash and its own token ids, so equal hashes mean (up to collisions) equal whole
 * prefixes, not just equal blocks. The first block's parent is {@link #ROOT}.
 *
 * <p>A collision cannot corrupt outputs: {@link BlockManager} also compares the token ids and the
 * parent block on every hit. The hash only has to be strong enough that collisions do not waste
 * cache entries; the default is SHA-256 truncated to 64 bits. Tests inject weak hashes.
 */
@FunctionalInterface
public interface BlockHasher {
    /** Parent hash of a sequence's first block. */
    long ROOT = 0x9E3779B97F4A7C15L;

    /** Hash of the block holding {@code tokens[from, from + count)} after a block hashed {@code parent}. */
    long hash(long parent, int[] tokens, int from, int count);

    /** SHA-256 of (parent, token ids), first 8 bytes; a new digest per call of this method, for one thread. */
    static BlockHasher sha256() {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
        byte[] buf = new byte[8 + 4 * 256];
        return (parent, tokens, from, count) -> {
            byte[] b = buf.length >= 8 + 4 * count ? buf : new byte[8 + 4 * count];
            for (int i = 0; i < 8; i++) b[i] = (byte) (parent >>> (56 - 8 * i));
            for (int i = 0; i < count; i++) {
                int t = tokens[from + i];
                int o = 8 + 4 * i;
                b[o] = (byte) (t >>> 24);
                b[o + 1] = (byte) (t >>> 16);
                b[o + 2] = (byte) (t >>> 8);
                b[o + 3] = (byte) t;
            }
            md.update(b, 0, 8 + 4 * count);
            byte[] d = md.digest();
            long h = 0;
            for (int i = 0; i < 8; i++) h = (h << 8) | (d[i] & 0xFF);
            return h;
        };
    }
}
