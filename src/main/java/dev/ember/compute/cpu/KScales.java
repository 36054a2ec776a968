package dev.ember.compute.cpu;

import java.lang.foreign.MemorySegment;

/** Unpacking of the 6-bit sub-block scales of Q3_K, Q4_K and Q5_K (12 bytes each), as ggml-quants.c defines them. */
final class KScales {
    private KScales() {}

    /** Q4_K/Q5_K scale j (0..7) from the 12 bytes at {@code off}: get_scale_min_k4's "d" output, 0..63. */
    static int scaleK4(MemorySegment s, long off, int j) {
        if (j < 4) return Bytes.u8(s, off + j) & 63;
        return (Bytes.u8(s, off + j + 4) & 0xF) | ((Bytes.u8(s, off + j - 4) >> 6) << 4);
    }

    /** Q4_K/Q5_K min j (0..7): get_scale_min_k4's "m" output, 0..63. */
    static int minK4(MemorySegment s, long off, int j) {
        if (j < 4) return Bytes.u8(s, off + j + 4) & 63;
        return (Bytes.u8(s, off + j + 4) >> 4) | ((Bytes.u8(s, off + j) >> 6) << 4);
    }

    /**
     * All eight {@link #scaleK4} values of the 12 bytes held as {@code lo} (bytes 0..7, little-endian) and {@code hi}
     * (bytes 8..11), as the bytes of a long (byte j = scale j): ggml's {@code utmp} unpacking, a few masks and shifts
     * on the packed words instead of one extraction per scale.
     */
    static long scalesK4(long lo, int hi) {
        int u0 = (int) lo;
        int low = u0 & 0x3F3F3F3F;                                           // scales 0..3: bytes 0..3, low 6 bits
        int high = (hi & 0x0F0F0F0F) | (((u0 >>> 6) & 0x03030303) << 4);    // 4..7: low nibbles of 8..11, top bits of 0..3
        return (low & 0xFFFFFFFFL) | ((long) high << 32);
    }

    /** All eight {@link #minK4} values of the 12 bytes held as {@code lo} and {@code hi}, as the bytes of a long (byte j = min j). */
    static long minsK4(long lo, int hi) {
        int u1 = (int) (lo >>> 32);
        int low = u1 & 0x3F3F3F3F;                                           // mins 0..3: bytes 4..7, low 6 bits
        int high = ((hi >>> 4) & 0x0F0F0F0F) | (((u1 >>> 6) & 0x03030303) << 4);   // 4..7: high nibbles of 8..11, top bits of 4..7
        return (low & 0xFFFFFFFFL) | ((long) high << 32);
    }

    /** Byte j (0..7) of a {@link #scalesK4} / {@link #minsK4} long. */
    static int byteAt(long packed, int j) {
        return (int) (packed >>> (8 * j)) & 0xFF;
    }

    /**
     * Q3_K scale i (0..15), already minus 32 (so -32..31). Bytes 0..7 hold the low 4 bits (scales 0..7 in the low nibbles,
     * 8..15 in the high nibbles of the same bytes), bytes 8..11 hold the high 2 bits, four scales per byte
     * (dequantize_row_q3_K's kmask1/kmask2 shuffle, written per scale).
     */
    static int scaleQ3(MemorySegment s, long off, int i) {
        int group = i >> 2;          // 0..3: which 2-bit field of bytes 8..11
        int k = i & 3;               // byte within the group
        int low = switch (group) {
            case 0 -> Bytes.u8(s, off + k) & 0xF;
            case 1 -> Bytes.u8(s, off + 4 + k) & 0xF;
            case 2 -> Bytes.u8(s, off + k) >> 4;
            default -> Bytes.u8(s, off + 4 + k) >> 4;
        };
        int high = (Bytes.u8(s, off + 8 + k) >> (2 * group)) & 3;
        return (low | (high << 4)) - 32;
    }
}
