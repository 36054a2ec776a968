package dev.ember.compute.cuda;

import dev.ember.compute.dsl.I32Buffer;
import dev.ember.compute.dsl.Kernel;
import dev.ember.compute.dsl.KernelContext;

/**
 * A 2-D test kernel: item (x, y) of a {@code width × height} grid writes its global x, global y, local x,
 * local y and group y to {@code out[(y·width + x)·5 ..]}; items outside the grid write nothing.
 */
public final class GridIds {
    static final int FIELDS = 5;
    static final String CUDA = """
            extern "C" __global__ void GridIds_ids(int* out, int width, int height) {
                int x = blockIdx.x * blockDim.x + threadIdx.x;
                int y = blockIdx.y * blockDim.y + threadIdx.y;
                if (x < width && y < height) {
                    int b = (y * width + x) * 5;
                    out[b] = x;
                    out[b + 1] = y;
                    out[b + 2] = threadIdx.x;
                    out[b + 3] = threadIdx.y;
                    out[b + 4] = blockIdx.y;
                }
            }
            """;

    private GridIds() {}

    @Kernel
    public static void ids(KernelContext ctx, I32Buffer out, int width, int height) {
        int x = ctx.globalId(0);
        int y = ctx.globalId(1);
        if (x < width && y < height) {
            int b = (y * width + x) * FIELDS;
            out.set(b, x);
            out.set(b + 1, y);
            out.set(b + 2, ctx.localId(0));
            out.set(b + 3, ctx.localId(1));
            out.set(b + 4, ctx.groupId(1));
        }
    }
}
