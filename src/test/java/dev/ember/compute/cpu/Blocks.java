package dev.ember.compute.cpu;

import dev.ember.gguf.GgmlType;
import dev.ember.gguf.GgufTensor;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Random;

/** Test helpers: in-memory tensors, random valid blocks, fp16 fields, fixture paths. */
final class Blocks {
    private Blocks() {}

    static Path fixtures() {
        return Path.of(System.getProperty("ember.fixtures", "../shared/fixtures"));
    }

    /** A tensor [rows, cols] (ne0 = cols) over a heap copy of {@code bytes}. */
    static GgufTensor tensor(GgmlType type, int rows, int cols, byte[] bytes) {
        return new GgufTensor("test." + type, type, new long[] {cols, rows}, 0, MemorySegment.ofArray(bytes));
    }

    static void putHalf(byte[] b, int off, float v) {
        short h = Float.floatToFloat16(v);
        b[off] = (byte) h;
        b[off + 1] = (byte) (h >> 8);
    }

    static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Offsets of the fp16 fields in a block of each type (scales d, m/dmin). */
    static int[] halfFields(GgmlType t) {
        return switch (t) {
            case Q8_0, Q4_0, Q5_0 -> new int[] {0};
            case Q4_1, Q5_1, Q4_K, Q5_K -> new int[] {0, 2};
            case Q2_K -> new int[] {80, 82};
            case Q3_K -> new int[] {108};
            case Q6_K -> new int[] {208};
            default -> new int[0];
        };
    }

    /** rows × cols of random but valid data: random quant bytes, finite fp16 scales, int8 quants in [-127, 127]. */
    static byte[] random(GgmlType t, int rows, int cols, Random rnd) {
        int n = (int) (t.bytesFor(cols) * rows);
        byte[] b = new byte[n];
        switch (t) {
            case F32 -> { for (int i = 0; i < n; i += 4) le(b).putFloat(i, (float) rnd.nextGaussian()); }
            case F16 -> { for (int i = 0; i < n; i += 2) putHalf(b, i, (float) rnd.nextGaussian()); }
            case BF16 -> {
                for (int i = 0; i < n; i += 2) le(b).putShort(i, Half.floatToBf16((float) rnd.nextGaussian()));
            }
            default -> {
                rnd.nextBytes(b);
                for (int blk = 0; blk < n / t.typeSize; blk++) {
                    int o = blk * t.typeSize;
                    for (int f : halfFields(t)) putHalf(b, o + f, (float) (0.001 + rnd.nextDouble() * 0.05));
                    if (t == GgmlType.Q8_0) {
                        for (int j = 2; j < 34; j++) if (b[o + j] == -128) b[o + j] = -127;
                    }
                }
            }
        }
        return b;
    }

    /** Random activations, with some blocks scaled up or down so block scales vary. */
    static float[] activations(int n, Random rnd) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextGaussian() * Math.pow(10, (i / 64) % 3 - 1));
        return x;
    }

    static MemorySegment quantize(GgmlType at, float[] x) {
        MemorySegment s = MemorySegment.ofArray(new byte[(int) Activations.rowBytes(at, x.length)]);
        Activations.quantize(at, x, 0, x.length, s, 0);
        return s;
    }

    /** Dequantized activation row (test-side decode of the activation encoding). */
    static float[] dequantActivations(GgmlType at, MemorySegment s, int n) {
        float[] y = new float[n];
        ByteBuffer bb = s.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        for (int e = 0; e < n; e++) {
            y[e] = switch (at) {
                case F32 -> bb.getFloat(4 * e);
                case F16 -> Float.float16ToFloat(bb.getShort(2 * e));
                case BF16 -> Float.intBitsToFloat((bb.getShort(2 * e) & 0xFFFF) << 16);
                case Q8_0 -> bb.get(34 * (e / 32) + 2 + e % 32) * Float.float16ToFloat(bb.getShort(34 * (e / 32)));
                case Q8_1 -> bb.get(36 * (e / 32) + 4 + e % 32) * Float.float16ToFloat(bb.getShort(36 * (e / 32)));
                case Q8_K -> bb.get(292 * (e / 256) + 4 + e % 256) * bb.getFloat(292 * (e / 256));
                default -> throw new IllegalArgumentException(at.toString());
            };
        }
        return y;
    }
}
