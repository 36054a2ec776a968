package dev.ember.compute.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector building blocks that reproduce the lane layout of ggml's x86 AVX2 kernels.
 *
 * <p>The species are fixed at 256 and 128 bits on purpose: ggml's AVX2 dot products keep 8 float accumulator lanes, lane k
 * holding the products of elements 4k..4k+3 of every 32-element group (maddubs + madd), and reduce them in a fixed order.
 * Using the same lanes here gives bit-identical sums to the llama.cpp build the fixtures came from, on any x86 with at least
 * AVX2 (a wider preferred species, e.g. AVX-512, would change the float summation order). Where the preferred species is
 * narrower than 256 bits the matrices fall back to {@link ReferenceDot}.
 *
 * <p>Bytes are multiplied in 16-bit lanes: a 16-bit lane holds two adjacent bytes, even element low, odd element high.
 * Every product pair used here fits in a short (|int8 * int8| pairs ≤ 2·127·127 for quantizer output, smaller for nibbles).
 */
final class Lanes {
    private Lanes() {}

    static final VectorSpecies<Short> S16x16 = ShortVector.SPECIES_256;
    static final VectorSpecies<Short> S16x8 = ShortVector.SPECIES_128;
    static final VectorSpecies<Integer> I32x8 = IntVector.SPECIES_256;
    static final VectorSpecies<Integer> I32x4 = IntVector.SPECIES_128;
    static final VectorSpecies<Float> F32x8 = FloatVector.SPECIES_256;
    static final VectorSpecies<Float> F32x4 = FloatVector.SPECIES_128;
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** True when the Vector API paths should run: the machine prefers at least 256-bit vectors and nobody disabled them. */
    static final boolean ENABLED = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256
            && !Boolean.getBoolean("ember.vector.disable");

    /** Int lanes 4..7 of an 8-lane vector: the upper 128-bit half, where ggml's per-16-element scales switch. */
    static final VectorMask<Integer> UPPER_HALF = VectorMask.fromLong(I32x8, 0xF0L);

    static ShortVector load16x16(MemorySegment s, long off) {
        return ShortVector.fromMemorySegment(S16x16, s, off, LE);
    }

    static ShortVector load16x8(MemorySegment s, long off) {
        return ShortVector.fromMemorySegment(S16x8, s, off, LE);
    }

    /** Signed even bytes (low byte of each short). */
    static ShortVector evenI8(ShortVector v) {
        return v.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 8);
    }

    /** Signed odd bytes (high byte of each short). */
    static ShortVector oddI8(ShortVector v) {
        return v.lanewise(VectorOperators.ASHR, 8);
    }

    /** Unsigned even bytes, masked: bits [shift, shift+width) of the low byte. */
    static ShortVector evenBits(ShortVector v, int shift, int mask) {
        return v.lanewise(VectorOperators.LSHR, shift).and((short) mask);
    }

    /** Unsigned odd bytes, masked: bits [shift, shift+width) of the high byte. */
    static ShortVector oddBits(ShortVector v, int shift, int mask) {
        return v.lanewise(VectorOperators.LSHR, 8 + shift).and((short) mask);
    }

    /** Int lane k = short lanes 2k + 2k+1: what _mm256_madd_epi16(ones, x) computes. */
    static IntVector pairSum(ShortVector p) {
        IntVector i = p.reinterpretAsInts();
        return i.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                .add(i.lanewise(VectorOperators.ASHR, 16));
    }

    /**
     * Int lane k = sum of x[e]*y[e] for e = 4k..4k+3, where x is given as even/odd elements in shorts and y is raw int8 bytes
     * read as shorts. Equals ggml's mul_sum_i8_pairs / maddubs+madd lane sums whenever those do not saturate.
     */
    static IntVector dot4(ShortVector xEven, ShortVector xOdd, ShortVector yRaw) {
        return pairSum(xEven.mul(evenI8(yRaw)).add(xOdd.mul(oddI8(yRaw))));
    }

    static FloatVector toFloat(IntVector v) {
        return (FloatVector) v.convert(VectorOperators.I2F, 0);
    }

    /** ggml hsum_float_8: r[k] = x[k+4] + x[k]; then (r0 + r2) + (r1 + r3). */
    static float hsum8(FloatVector x) {
        float r0 = x.lane(4) + x.lane(0);
        float r1 = x.lane(5) + x.lane(1);
        float r2 = x.lane(6) + x.lane(2);
        float r3 = x.lane(7) + x.lane(3);
        return (r0 + r2) + (r1 + r3);
    }

    /** hsum8 of an 8-lane accumulator kept as two 4-lane halves (lo = lanes 0..3, hi = lanes 4..7). */
    static float hsum8(FloatVector lo, FloatVector hi) {
        float r0 = hi.lane(0) + lo.lane(0);
        float r1 = hi.lane(1) + lo.lane(1);
        float r2 = hi.lane(2) + lo.lane(2);
        float r3 = hi.lane(3) + lo.lane(3);
        return (r0 + r2) + (r1 + r3);
    }

    /**
     * ggml GGML_F32x8_REDUCE over four accumulators (vec.cpp's f32/f16 dot): s0+=s2, s1+=s3, s0+=s1, then
     * t[k] = s0[k] + s0[k+4] and two hadds: (t0 + t1) + (t2 + t3). Note the pairing differs from hsum8.
     */
    static float reduce4x8(FloatVector s0, FloatVector s1, FloatVector s2, FloatVector s3) {
        FloatVector a = s0.add(s2).add(s1.add(s3));
        float t0 = a.lane(0) + a.lane(4);
        float t1 = a.lane(1) + a.lane(5);
        float t2 = a.lane(2) + a.lane(6);
        float t3 = a.lane(3) + a.lane(7);
        return (t0 + t1) + (t2 + t3);
    }

    /** 8 binary16 values at {@code off} to floats, exactly (normals, subnormals, inf and NaN). */
    static FloatVector loadHalf8(MemorySegment s, long off) {
        IntVector h = (IntVector) load16x8(s, off).convertShape(VectorOperators.S2I, I32x8, 0);
        IntVector abs = h.and(0x7fff);
        IntVector shifted = abs.lanewise(VectorOperators.LSHL, 13);
        // Rebias the exponent by multiplying with 2^112: exact for normals and turns half subnormals into normal floats.
        IntVector mag = shifted.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
        // Exponent 31 (inf/NaN) must map to exponent 255, which the multiply cannot do.
        mag = mag.blend(shifted.or(0x7f800000), abs.compare(VectorOperators.GE, 0x7c00));
        return mag.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    /** 8 bfloat16 values at {@code off} to floats (exact). */
    static FloatVector loadBf16x8(MemorySegment s, long off) {
        IntVector h = (IntVector) load16x8(s, off).convertShape(VectorOperators.S2I, I32x8, 0);
        return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    static FloatVector loadF32x8(MemorySegment s, long off) {
        return FloatVector.fromMemorySegment(F32x8, s, off, LE);
    }
}
