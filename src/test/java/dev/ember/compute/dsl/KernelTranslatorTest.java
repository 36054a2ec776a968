package dev.ember.compute.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.compute.dsl.testkernels.DequantizeQ8;
import dev.ember.compute.dsl.testkernels.DialectTour;
import dev.ember.compute.dsl.testkernels.PackHalves;
import dev.ember.compute.dsl.testkernels.SumRows;
import dev.ember.compute.dsl.testkernels.VectorAdd;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The translator's output for the key mappings of the kernel dialect, on both targets. */
class KernelTranslatorTest {
    static final KernelTranslator TRANSLATOR = new KernelTranslator(KernelSources.directory(Path.of("src/test/java")));

    /** A kernel class {@code T} in package dev.ember.kernels with one kernel {@code k(ctx, params)} whose body starts on line 6. */
    static String kernel(String params, String... body) {
        return "package dev.ember.kernels;\n"
                + "import dev.ember.compute.dsl.*;\n"
                + "public final class T {\n"
                + "    @Kernel\n"
                + "    public static void k(KernelContext ctx" + (params.isEmpty() ? "" : ", " + params) + ") {\n"
                + String.join("\n", body) + "\n"
                + "    }\n"
                + "}\n";
    }

    static String opencl(String source) {
        return TRANSLATOR.translate(Target.OPENCL, "T.java", source);
    }

    static String cuda(String source) {
        return TRANSLATOR.translate(Target.CUDA, "T.java", source);
    }

    static void assertContains(String expected, String actual) {
        assertTrue(actual.contains(expected), () -> "expected\n" + expected + "\nin\n" + actual);
    }

    @Test
    void vectorAddKeepsNamesAndMapsIdsBuffersAndStores() {
        String cl = TRANSLATOR.translate(Target.OPENCL, List.of(VectorAdd.class));
        assertContains("""
                // VectorAdd.java:13 VectorAdd.add
                __kernel void VectorAdd_add(__global float* a, __global float* b, __global float* out, int n) {
                    int i = (int)get_global_id(0);
                    if (i < n) {
                        out[i] = a[i] + b[i];
                    }
                }
                """, cl);
        assertTrue(cl.startsWith("// OpenCL C 1.2, translated from VectorAdd.java by Ember's KernelTranslator."), cl);
        assertContains("#pragma OPENCL FP_CONTRACT OFF\n", cl);
        assertFalse(cl.contains("ember_f16_to_f32"), "no prelude function is emitted unless used");
        String cu = TRANSLATOR.translate(Target.CUDA, List.of(VectorAdd.class));
        assertContains("""
                extern "C" __global__ void VectorAdd_add(float* a, float* b, float* out, int n) {
                    int i = (int)(blockIdx.x * blockDim.x + threadIdx.x);
                    if (i < n) {
                        out[i] = a[i] + b[i];
                    }
                }
                """, cu);
        assertEquals("VectorAdd_add", KernelTranslator.kernelName(KernelRef.of(VectorAdd.class, "add")));
    }

    @Test
    void sharedArraysAreHoistedAndBarriersFenceBothMemories() {
        String cl = TRANSLATOR.translate(Target.OPENCL, List.of(SumRows.class));
        assertContains("#define SumRows_BLOCK 64\n", cl);
        assertContains("""
                __kernel void SumRows_sum(__global float* x, __global float* out, int n) {
                    __local float partial[SumRows_BLOCK];
                    int row = (int)get_group_id(0);
                    int lid = (int)get_local_id(0);
                    float acc = 0.0f;
                    for (int c = lid; c < n; c += SumRows_BLOCK) {
                        acc += x[row * n + c];
                    }
                    partial[lid] = acc;
                    barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);
                    for (int stride = SumRows_BLOCK / 2; stride > 0; stride >>= 1) {
                """, cl);
        String cu = TRANSLATOR.translate(Target.CUDA, List.of(SumRows.class));
        assertContains("""
                extern "C" __global__ void SumRows_sum(float* x, float* out, int n) {
                    __shared__ float partial[SumRows_BLOCK];
                """, cu);
        assertContains("    __syncthreads();\n", cu);
    }

    @Test
    void hoistingMovesALaterTopLevelSharedArrayAboveEarlierStatements() {
        String cl = opencl(kernel("F32Buffer out",
                "        int lid = ctx.localId(0);",
                "        int[] counts = ctx.localInts(8 * 2);",
                "        counts[lid] = counts.length;",
                "        out.set(lid, counts[lid]);"));
        assertContains("""
                __kernel void T_k(__global float* out) {
                    __local int counts[8 * 2];
                    int lid = (int)get_local_id(0);
                    counts[lid] = (8 * 2);
                    out[lid] = (float)counts[lid];
                }
                """, cl);
    }

    @Test
    void helpersOfAnotherClassComeOnceCalleesFirstWithConstants() {
        String cl = TRANSLATOR.translate(Target.OPENCL, List.of(DequantizeQ8.class));
        assertContains("#define Q8Blocks_QK 32\n#define Q8Blocks_BLOCK_BYTES (2 + Q8Blocks_QK)\n", cl);
        assertContains("""
                // Q8Blocks.java:15 Q8Blocks.scale
                static inline float Q8Blocks_scale(__global uchar* q, int block) {
                    int o = block * Q8Blocks_BLOCK_BYTES;
                    return ember_f16_to_f32((int)q[o] | (int)q[o + 1] << 8);
                }

                // Q8Blocks.java:20 Q8Blocks.value
                static inline float Q8Blocks_value(__global uchar* q, int block, int j) {
                    return Q8Blocks_scale(q, block) * (int)(char)(int)q[block * Q8Blocks_BLOCK_BYTES + 2 + j];
                }

                // DequantizeQ8.java:14 DequantizeQ8.dequantize
                __kernel void DequantizeQ8_dequantize(__global uchar* q, __global float* out, int count) {
                """, cl);
        assertContains("    out[i] = Q8Blocks_value(q, i / Q8Blocks_QK, i % Q8Blocks_QK);\n", cl);
        assertContains("static inline float ember_f16_to_f32(int bits) {", cl);
        String cu = TRANSLATOR.translate(Target.CUDA, List.of(DequantizeQ8.class));
        assertContains("static __device__ inline float Q8Blocks_scale(unsigned char* q, int block) {", cu);
        assertContains("(int)(signed char)(int)q[block * Q8Blocks_BLOCK_BYTES + 2 + j]", cu);
    }

    @Test
    void aHelperCalledByTwoKernelsIsEmittedOnce() {
        String src = """
                package dev.ember.kernels;
                import dev.ember.compute.dsl.*;
                public final class T {
                    static float twice(float v) {
                        return v * 2;
                    }
                    @Kernel
                    public static void a(KernelContext ctx, F32Buffer x) {
                        x.set(0, twice(x.get(0)));
                    }
                    @Kernel
                    public static void b(KernelContext ctx, F32Buffer x) {
                        x.set(1, twice(twice(x.get(1))));
                    }
                }
                """;
        String cl = opencl(src);
        assertEquals(1, cl.split("static inline float T_twice\\(", -1).length - 1, cl);
        assertTrue(cl.indexOf("T_twice(float v)") < cl.indexOf("__kernel void T_a("), cl);
        assertContains("    x[1] = T_twice(T_twice(x[1]));\n", cl);
    }

    @Test
    void unsignedShiftsAndSignedBytesKeepJavaMeaning() {
        String cl = TRANSLATOR.translate(Target.OPENCL, List.of(PackHalves.class));
        assertContains("    out[i] = (ushort)ember_f32_to_f16(x[i]);\n", cl);
        assertContains("    long wide = (long)bits * 31L;\n", cl);
        assertContains("    mixed[i] = ((int)((uint)bits >> 16)) ^ (int)(char)bits ^ (int)((long)((ulong)wide >> 33));\n", cl);
        String cu = TRANSLATOR.translate(Target.CUDA, List.of(PackHalves.class));
        assertContains("    int bits = __float_as_int(x[i]);\n", cu);
        assertContains("    long long wide = (long long)bits * 31LL;\n", cu);
        assertContains("    mixed[i] = ((int)((unsigned int)bits >> 16)) ^ (int)(signed char)bits"
                + " ^ (int)((long long)((unsigned long long)wide >> 33));\n", cu);
        assertContains("static __device__ inline int ember_f32_to_f16(float value) {", cu);
    }

    @Test
    void everyWorkItemQueryOnBothTargets() {
        String src = kernel("I32Buffer out",
                "        out.set(0, ctx.globalId(2) + ctx.localId(1) + ctx.groupId(0));",
                "        out.set(1, ctx.localSize(1) + ctx.groupCount(2) + ctx.globalSize(0));");
        String cl = opencl(src);
        assertContains("out[0] = (int)get_global_id(2) + (int)get_local_id(1) + (int)get_group_id(0);", cl);
        assertContains("out[1] = (int)get_local_size(1) + (int)get_num_groups(2) + (int)get_global_size(0);", cl);
        String cu = cuda(src);
        assertContains("out[0] = (int)(blockIdx.z * blockDim.z + threadIdx.z) + (int)threadIdx.y + (int)blockIdx.x;", cu);
        assertContains("out[1] = (int)blockDim.y + (int)gridDim.z + (int)(gridDim.x * blockDim.x);", cu);
    }

    @Test
    void literalsAndLibraryConstants() {
        String src = kernel("F32Buffer f, I32Buffer i",
                "        f.set(0, 1f + 2.5f + 1e-5f + 0x1p-3f + 1_000.0F);",
                "        i.set(0, 0xFF + 0x80000000 + 017 + 0b101 + 1_000);",
                "        long big = 0xFFFFFFFFFFFFFFFFL + 5L + Long.MIN_VALUE;",
                "        i.set(1, Integer.MIN_VALUE + -2147483648 + Integer.MAX_VALUE + (int) big);",
                "        f.set(1, Float.NEGATIVE_INFINITY + Float.POSITIVE_INFINITY + Float.NaN + Float.MAX_VALUE + Float.MIN_VALUE);",
                "        boolean yes = true;",
                "        if (yes) f.set(2, 0f);");
        String cl = opencl(src);
        assertContains("f[0] = 1.0f + 2.5f + 1e-5f + 0x1p-3f + 1000.0f;", cl);
        assertContains("i[0] = 0xFF + (int)0x80000000u + 017 + 0x5 + 1000;", cl);
        assertContains("long big = (long)0xffffffffffffffffUL + 5L + (-9223372036854775807L - 1L);", cl);
        assertContains("i[1] = (-2147483647 - 1) + (-2147483647 - 1) + 2147483647 + (int)big;", cl);
        assertContains("f[1] = -INFINITY + INFINITY + NAN + 3.4028235e38f + 1.4e-45f;", cl);
        assertContains("bool yes = true;", cl);
        String cu = cuda(src);
        assertContains("long long big = (long long)0xffffffffffffffffULL + 5LL + (-9223372036854775807LL - 1LL);", cu);
        assertContains("#ifndef INFINITY\n#define INFINITY __int_as_float(0x7f800000)\n#endif\n", cu);
    }

    @Test
    void castsConvertAsJavaDoes() {
        String src = kernel("F32Buffer f, I32Buffer i",
                "        float v = f.get(0);",
                "        long l = (long) v + (long) i.get(0);",
                "        i.set(0, (int) v + (int) l + (int) (byte) i.get(1) + (short) v + (char) l);",
                "        f.set(1, (float) l + (float) i.get(2));");
        String cl = opencl(src);
        assertContains("long l = convert_long_sat(v) + (long)i[0];", cl);
        assertContains("i[0] = convert_int_sat(v) + (int)l + (int)(int)(char)i[1] + (int)(short)convert_int_sat(v) + (int)(ushort)l;", cl);
        assertContains("f[1] = (float)l + (float)i[2];", cl);
        String cu = cuda(src);
        assertContains("long long l = __float2ll_rz(v) + (long long)i[0];", cu);
        assertContains("i[0] = __float2int_rz(v) + (int)l + (int)(int)(signed char)i[1] + (int)(short)__float2int_rz(v) + (int)(unsigned short)l;", cu);
    }

    @Test
    void shiftsRemaindersAndCompoundAssignments() {
        String src = kernel("I32Buffer i, F32Buffer f, int s",
                "        int a = i.get(0);",
                "        long b = a;",
                "        a = a << s | a >> 3 | a >>> s;",
                "        b = b << s | b >>> 40;",
                "        a >>>= 2;",
                "        a <<= s;",
                "        a *= f.get(0);",
                "        float r = f.get(1) % 2f + a % 3;",
                "        r %= 5f;",
                "        i.set(0, a + (int) b + (int) r);");
        String cl = opencl(src);
        assertContains("a = a << (s & 31) | a >> 3 | (int)((uint)a >> (s & 31));", cl);
        assertContains("b = b << (s & 63) | (long)((ulong)b >> 40);", cl);
        assertContains("a = (int)((uint)a >> 2);", cl);
        assertContains("a <<= (s & 31);", cl);
        assertContains("a = convert_int_sat(a * f[0]);", cl);
        assertContains("float r = fmod(f[1], 2.0f) + a % 3;", cl);
        assertContains("r = fmod(r, 5.0f);", cl);
        assertContains("float r = fmodf(f[1], 2.0f) + a % 3;", cuda(src));
    }

    @Test
    void mathMapsToTargetFunctions() {
        String src = """
                package dev.ember.kernels;
                import static dev.ember.compute.dsl.KernelMath.*;
                import dev.ember.compute.dsl.*;
                public final class T {
                    @Kernel
                    public static void k(KernelContext ctx, F32Buffer f, I32Buffer i, U16Buffer h) {
                        float x = f.get(0);
                        int n = i.get(0);
                        long l = n;
                        f.set(1, exp(x) + sqrt(x) + abs(x) + max(x, 1f) + min(x, n) + fma(x, x, 1f) + rint(x));
                        f.set(2, KernelMath.exp(n) + f16ToF32(h.get(0)) + bf16ToF32(h.get(1)) + bitsToFloat(n));
                        i.set(1, Math.max(n, 3) + Math.min(n, 2) + Math.abs(n) + (int) Math.max(l, n) + (int) Math.abs(l));
                        f.set(3, Math.max(x, n) + Math.abs(x) + Math.min(1f, x));
                        i.set(2, floatToBits(x) + f32ToF16(x) + signed8(n) + Float.floatToRawIntBits(x));
                    }
                }
                """;
        String cl = opencl(src);
        assertContains("f[1] = exp(x) + sqrt(x) + fabs(x) + fmax(x, 1.0f) + fmin(x, (float)n) + fma(x, x, 1.0f) + rint(x);", cl);
        assertContains("f[2] = exp((float)n) + ember_f16_to_f32((int)h[0]) + ember_bf16_to_f32((int)h[1]) + as_float(n);", cl);
        assertContains("i[1] = max(n, 3) + min(n, 2) + (int)abs(n) + (int)max(l, (long)n) + (int)(long)abs(l);", cl);
        assertContains("f[3] = fmax(x, (float)n) + fabs(x) + fmin(1.0f, x);", cl);
        assertContains("i[2] = as_int(x) + ember_f32_to_f16(x) + (int)(char)n + as_int(x);", cl);
        String cu = cuda(src);
        assertContains("f[1] = expf(x) + sqrtf(x) + fabsf(x) + fmaxf(x, 1.0f) + fminf(x, (float)n) + fmaf(x, x, 1.0f) + rintf(x);", cu);
        assertContains("f[2] = expf((float)n) + ember_f16_to_f32((int)h[0]) + ember_bf16_to_f32((int)h[1]) + __int_as_float(n);", cu);
        assertContains("i[1] = max(n, 3) + min(n, 2) + abs(n) + (int)llmax(l, (long long)n) + (int)llabs(l);", cu);
        assertContains("static __device__ inline float ember_bf16_to_f32(int bits) {", cu);
    }

    @Test
    void controlFlowTernaryAtomicsAndSwitch() {
        String src = kernel("I32Buffer counts, int type",
                "        int k = 0;",
                "        do { k++; } while (k < 3);",
                "        while (true) { if (k > 10) break; k += 2; continue; }",
                "        switch (type) {",
                "            case 1, 2 -> k = -k;",
                "            default -> { k = k > 0 ? k : ~k; }",
                "        }",
                "        int old = ctx.atomicAdd(counts, type, k);",
                "        boolean b = !(old == 0) && old != 1 || old >= 2 & k <= 3 ^ k < 0;",
                "        if (b) return; else if (old < 0) { counts.set(0, 0); } else counts.set(1, --k);");
        String cl = opencl(src);
        assertContains("""
                    int k = 0;
                    do {
                        k++;
                    } while (k < 3);
                    while (true) {
                        if (k > 10) {
                            break;
                        }
                        k += 2;
                        continue;
                    }
                    switch (type) {
                    case 1:
                    case 2:
                        {
                            k = -k;
                        }
                        break;
                    default:
                        {
                            k = k > 0 ? k : ~k;
                        }
                        break;
                    }
                    int old = atomic_add(&counts[type], k);
                    bool b = !(old == 0) && old != 1 || old >= 2 & k <= 3 ^ k < 0;
                    if (b) {
                        return;
                    } else if (old < 0) {
                        counts[0] = 0;
                    } else {
                        counts[1] = --k;
                    }
                """, cl);
        assertContains("int old = atomicAdd(&counts[type], k);", cuda(src));
    }

    @Test
    void namesThatCollideWithCOrDeviceBuiltinsGetAnUnderscore() {
        String src = kernel("F32Buffer local, int max",
                "        float half = local.get(0);",
                "        int uint = max;",
                "        float exp = KernelMath.exp(half);",
                "        local.set(0, exp + uint + Math.max(max, 1));");
        String cl = opencl(src);
        assertContains("__kernel void T_k(__global float* local_, int max_) {", cl);
        assertContains("float half_ = local_[0];", cl);
        assertContains("int uint_ = max_;", cl);
        assertContains("float exp_ = exp(half_);", cl);
        assertContains("local_[0] = exp_ + uint_ + max(max_, 1);", cl);
    }

    @Test
    void helpersMayTakeTheContextSharedArraysAndBuffers() {
        String cl = TRANSLATOR.translate(Target.OPENCL, List.of(DialectTour.class));
        assertContains("static inline float DialectTour_groupMax(__local float* s, float v) {\n    int lid = (int)get_local_id(0);", cl);
        assertContains("float m = DialectTour_groupMax(shared, v);", cl);
        assertContains("static inline float DialectTour_decode(__global ushort* w, int i, int type) {", cl);
        assertContains("static inline bool DialectTour_odd(long v) {", cl);
        assertContains("#define DialectTour_BIG (1L << 40)\n", cl);
        assertContains("#define DialectTour_MASK ((int)0xffffffffu)\n", cl);
        assertContains("#define DialectTour_EPS 1e-6f\n", cl);
        assertContains("#define DialectTour_HALF_GROUP (DialectTour_GROUP / 2)\n", cl);
        String cu = TRANSLATOR.translate(Target.CUDA, List.of(DialectTour.class));
        assertContains("static __device__ inline float DialectTour_groupMax(float* s, float v) {", cu);
        assertContains("#define DialectTour_BIG (1LL << 40)\n", cu);
    }

    @Test
    void forLoopsDeclareSeveralBuffersWithOneStarEach() {
        String cl = opencl(kernel("F32Buffer a, F32Buffer b",
                "        for (F32Buffer p = a, q = b; p != q; p = q) p.set(0, q.get(0));",
                "        F32Buffer r = ctx.globalId(0) > 0 ? a : b, s = a;",
                "        r.set(0, s.get(1));"));
        assertContains("for (__global float *p = a, *q = b; p != q; p = q) {\n        p[0] = q[0];\n    }", cl);
        assertContains("    __global float *r = (int)get_global_id(0) > 0 ? a : b;\n    __global float *s = a;\n", cl);
    }
}
