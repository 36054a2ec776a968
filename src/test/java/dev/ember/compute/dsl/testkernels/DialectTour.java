package dev.ember.compute.dsl.testkernels;

import static dev.ember.compute.dsl.KernelMath.*;

import dev.ember.compute.dsl.F32Buffer;
import dev.ember.compute.dsl.I32Buffer;
import dev.ember.compute.dsl.Kernel;
import dev.ember.compute.dsl.KernelContext;
import dev.ember.compute.dsl.Launch;
import dev.ember.compute.dsl.U16Buffer;
import dev.ember.compute.dsl.U8Buffer;

/** Every construct of the kernel dialect at least once, so that device compilers can check the translation. */
public final class DialectTour {
    static final int GROUP = 32;
    static final int HALF_GROUP = GROUP / 2;
    static final long BIG = 1L << 40;
    static final float EPS = 1e-6f;
    static final int MASK = 0xFFFFFFFF;
    static final boolean NEOX = true;

    private DialectTour() {}

    /** A work-group max reduction over a shared array, with barriers inside the helper. */
    static float groupMax(KernelContext ctx, float[] s, float v) {
        int lid = ctx.localId(0);
        s[lid] = v;
        ctx.barrier();
        for (int stride = HALF_GROUP; stride > 0; stride /= 2) {
            if (lid < stride) s[lid] = max(s[lid], s[lid + stride]);
            ctx.barrier();
        }
        float m = s[0];
        ctx.barrier();
        return m;
    }

    static int clampIndex(int i, int n) {
        return Math.max(0, Math.min(i, n - 1));
    }

    static boolean odd(long v) {
        return (v & 1L) != 0;
    }

    static float decode(U16Buffer w, int i, int type) {
        float v;
        switch (type) {
            case 0 -> v = f16ToF32(w.get(i));
            case 1 -> v = bf16ToF32(w.get(i));
            default -> {
                int raw = w.get(i);
                v = (float) raw;
            }
        }
        return v;
    }

    static int classic(int type) {
        int r = 0;
        switch (type) {
            case 1:
            case 2:
                r = 10;
                break;
            case 3:
                r = 20;
            default:
                r += 1;
        }
        return r;
    }

    @Kernel(barrier = true)
    public static void tour(KernelContext ctx, F32Buffer x, U16Buffer w, U8Buffer bytes, I32Buffer counts,
            F32Buffer out, int n, int type, float scale) {
        float[] shared = ctx.localFloats(GROUP);
        int[] hist = ctx.localInts(GROUP * 2);
        int gid = ctx.globalId(0);
        int lid = ctx.localId(0);
        int group = ctx.groupId(0);
        int size = ctx.localSize(0) + ctx.groupCount(0) * 0 + ctx.globalSize(0) * 0 + ctx.globalId(1) * 0;
        hist[lid] = 0;
        hist[lid + GROUP] = shared.length;
        int i = clampIndex(gid, n);
        float v = x.get(i) * scale;
        float m = groupMax(ctx, shared, v);
        float e = exp(v - m) + sqrt(abs(v)) + fma(v, 2f, -1.5f) + rint(v) + min(v, EPS) % 3f;
        long acc = BIG;
        int k = 0;
        do {
            acc += (long) k * k;
            k++;
        } while (k < 4);
        while (acc > 0x7fffffffL) acc >>>= 1;
        int bits = floatToBits(e) & MASK;
        bits ^= bits >>> 7;
        bits <<= type;
        int b = signed8(bytes.get(i)) + (bytes.get(i) >> 4) + (int) (byte) type + (int) (char) -1 + (short) 70000;
        int t = (int) e + (int) (e * 1.5f) + Math.abs(b) - Integer.MIN_VALUE / 2;
        t += (int) acc;
        t *= 1.5f;
        t = odd(acc) ? t : -t;
        t = NEOX && !(t > 3 || t < -3) ? t : t % 7;
        float d = decode(w, i, type) + classic(type) + f32ToF16(e) + bitsToFloat(bits);
        d = Math.max(d, Float.NEGATIVE_INFINITY);
        d = d < Float.MAX_VALUE ? d : Float.POSITIVE_INFINITY;
        if (d != d) d = Float.NaN;
        float half = d / 2;
        int old = ctx.atomicAdd(counts, group, 1);
        for (int j = 0, q = 1; j < 3; j++, q <<= 1) t += q + old;
        out.set(gid, half + t + size + (float) BIG + hist[lid]);
        if (lid == 0) {
            counts.set(group, counts.get(group) + 1);
        } else if (lid == 1) {
            counts.set(group + 1, 0x80000000);
        } else {
            return;
        }
    }

    public static Launch launch(int n) {
        return Launch.cover(n, GROUP);
    }
}
