package dev.ember.compute.cpu;

import java.util.Arrays;
import java.util.Random;

/**
 * Attention products benchmark (a main, not a test): one decode token's Q·K and P·V for every head of a llama-1b-shaped
 * layer (32 query heads over 8 KV heads of 64) against {@code ctx} cached positions, timed for each way of computing
 * them: Q·K one position per call ({@link GgmlDot#vecDotF32}) or four ({@link GgmlDot#vecDotF32x4}); P·V's 32 lanes
 * reduced one dimension at a time ({@link GgmlDot#reduceStrided}) or a vector of dimensions at a time
 * ({@link GgmlDot#reduceLaneMajor}). Prints the median and 10th percentile microseconds of each.
 *
 * <pre>
 * ./mvnw -o -q test-compile && java --add-modules=jdk.incubator.vector -XX:CompileCommand=quiet \
 *     "-XX:CompileCommand=CompileThresholdScaling,dev.ember.compute.cpu.*::*,0.01" \
 *     -cp target/classes:target/test-classes dev.ember.compute.cpu.AttentionBench [ctx=1024] [runs=40]
 * </pre>
 */
public final class AttentionBench {
    private static final int KV_DIM = 512, HEAD_DIM = 64, HEADS = 32, GROUP = 4;

    public static void main(String[] args) {
        int ctx = 1024, runs = 40;
        for (String a : args) {
            String[] kv = a.split("=", 2);
            switch (kv[0]) {
                case "ctx" -> ctx = Integer.parseInt(kv[1]);
                case "runs" -> runs = Integer.parseInt(kv[1]);
                default -> throw new IllegalArgumentException(a);
            }
        }
        ctx &= ~3;
        Random r = new Random(1);
        float[] keys = new float[ctx * KV_DIM], values = new float[ctx * KV_DIM], q = new float[HEADS * HEAD_DIM];   // [ctx, kvDim], [heads, hd]
        for (int i = 0; i < keys.length; i++) {
            keys[i] = (float) r.nextGaussian();
            values[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < q.length; i++) q[i] = (float) r.nextGaussian();
        float[] s = new float[ctx], acc = new float[GgmlDot.LANES * HEAD_DIM], lanes = new float[GgmlDot.LANES];
        float[] out = new float[HEADS * HEAD_DIM];   // [heads, hd]
        String[] names = {"Q.K one position per call", "Q.K four positions per call", "P.V reduce per dimension",
                "P.V reduce per vector of dimensions"};
        double[][] us = new double[names.length][runs];
        float sink = 0;
        for (int rep = 0; rep < runs + 20; rep++) {
            for (int v = 0; v < names.length; v++) {
                long t0 = System.nanoTime();
                for (int h = 0; h < HEADS; h++) {
                    int kvOff = (h / GROUP) * HEAD_DIM, qOff = h * HEAD_DIM;
                    switch (v) {
                        case 0 -> {
                            for (int t = 0; t < ctx; t++) s[t] = GgmlDot.vecDotF32(keys, t * KV_DIM + kvOff, q, qOff, HEAD_DIM, lanes);
                        }
                        case 1 -> {
                            for (int t = 0; t < ctx; t += 4) GgmlDot.vecDotF32x4(keys, t * KV_DIM + kvOff, KV_DIM, q, qOff, HEAD_DIM, s, t, lanes);
                        }
                        default -> {
                            Arrays.fill(acc, 0f);
                            for (int t = 0; t < ctx; t++) GgmlDot.accumulatePv(acc, t & 31, values, t * KV_DIM + kvOff, s[t] * 1e-3f, HEAD_DIM);
                            if (v == 3) GgmlDot.reduceLaneMajor(acc, HEAD_DIM, out, qOff, lanes);
                            else for (int d = 0; d < HEAD_DIM; d++) out[qOff + d] = GgmlDot.reduceStrided(acc, d, HEAD_DIM, lanes);
                        }
                    }
                }
                if (rep >= 20) us[v][rep - 20] = (System.nanoTime() - t0) / 1e3;
            }
            sink += out[rep % out.length] + s[rep % ctx];
        }
        System.out.printf("AttentionBench: %d heads x %d positions, head size %d (one decode token of one layer)%n", HEADS, ctx, HEAD_DIM);
        for (int v = 0; v < names.length; v++) {
            Arrays.sort(us[v]);
            System.out.printf("%-38s median %7.0f us   p10 %7.0f us%n", names[v], us[v][runs / 2], us[v][runs / 10]);
        }
        System.out.println("(checksum " + sink + ")");
    }
}
