package dev.ember.compute.opencl;

import dev.ember.compute.dsl.F32Buffer;
import dev.ember.compute.dsl.I32Buffer;
import dev.ember.compute.dsl.Kernel;
import dev.ember.compute.dsl.KernelContext;

/** Kernels for the OpenCL backend tests, with their OpenCL C written by hand (the translator is not in this build). */
public final class ClTestKernels {
    private ClTestKernels() {}

    /** {@code out[i] = x[i] * scale + shift; ids[i] = 3i + shift} for i < n. */
    @Kernel
    public static void scaleShift(KernelContext ctx, F32Buffer x, F32Buffer out, I32Buffer ids, float scale, int shift, int n) {
        int i = ctx.globalId(0);
        if (i < n) {
            out.set(i, x.get(i) * scale + shift);
            ids.set(i, i * 3 + shift);
        }
    }

    /** Per item of a 2-D launch {@code width} items wide: its global ids, and its group and local ids packed in base 16. */
    @Kernel
    public static void ids2d(KernelContext ctx, I32Buffer global, I32Buffer groupLocal, int width) {
        int x = ctx.globalId(0);
        int y = ctx.globalId(1);
        int at = y * width + x;
        global.set(at, y * 1000 + x);
        groupLocal.set(at, ((ctx.groupId(1) * 16 + ctx.groupId(0)) * 16 + ctx.localId(1)) * 16 + ctx.localId(0));
    }

    /** What the translator would emit for this class. */
    static final String OPENCL_C = """
            __kernel void ClTestKernels_scaleShift(__global float* x, __global float* out, __global int* ids, float scale, int shift, int n) {
                int i = get_global_id(0);
                if (i < n) {
                    out[i] = x[i] * scale + (float) shift;
                    ids[i] = i * 3 + shift;
                }
            }

            __kernel void ClTestKernels_ids2d(__global int* global_ids, __global int* group_local, int width) {
                int x = get_global_id(0);
                int y = get_global_id(1);
                int at = y * width + x;
                global_ids[at] = y * 1000 + x;
                group_local[at] = ((int) get_group_id(1) * 16 + (int) get_group_id(0)) * 16 * 16 + (int) get_local_id(1) * 16 + (int) get_local_id(0);
            }
            """;

    /** A source provider that knows only this class. */
    static String source(Class<?> kernelClass) {
        if (kernelClass != ClTestKernels.class) throw new IllegalArgumentException("no OpenCL C for " + kernelClass);
        return OPENCL_C;
    }
}
