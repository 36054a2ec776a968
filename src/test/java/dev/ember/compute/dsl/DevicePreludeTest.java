package dev.ember.compute.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The emitted half-precision conversions give Java's results bit for bit. The OpenCL prelude is pure C
 * once {@code as_float}/{@code as_uint} exist, so it is compiled for the host and run over every half
 * and over about a million floats chosen to hit every rounding case (each high 16-bit pattern with low
 * bits at, around and away from the rounding ties). NaNs only need to stay NaNs of the same sign: the
 * JIT's conversion intrinsics and Java's library code may differ in NaN payloads.
 */
class DevicePreludeTest {
    private static final int[] LOW_PATTERNS = {0x0000, 0x0001, 0x0fff, 0x1000, 0x1001, 0x1fff, 0x2000, 0x3000, 0x5000,
            0x7fff, 0x8000, 0x8001, 0xafff, 0xb000, 0xf000, 0xffff};

    @TempDir
    Path dir;

    @Test
    void halfConversionsMatchJava() throws Exception {
        Optional<Path> cc = DeviceCompilers.hostCc();
        assumeTrue(cc.isPresent(), "no host C compiler (cc, gcc or clang)");
        String program = """
                #include <stdio.h>
                #include <string.h>
                #include <stdbool.h>
                typedef unsigned int uint;
                static inline float as_float(uint u) { float f; memcpy(&f, &u, sizeof f); return f; }
                static inline uint as_uint(float f) { uint u; memcpy(&u, &f, sizeof u); return u; }
                """ + DevicePrelude.F16_TO_F32.source(Target.OPENCL) + DevicePrelude.F32_TO_F16.source(Target.OPENCL)
                + DevicePrelude.BF16_TO_F32.source(Target.OPENCL) + """
                int main(int argc, char **argv) {
                    FILE *in = fopen(argv[2], "rb");
                    FILE *out = fopen(argv[3], "wb");
                    uint v;
                    while (fread(&v, 4, 1, in) == 1) {
                        uint r;
                        if (argv[1][0] == 'h') r = as_uint(ember_f16_to_f32((int)v));
                        else if (argv[1][0] == 'b') r = as_uint(ember_bf16_to_f32((int)v));
                        else r = (uint)ember_f32_to_f16(as_float(v));
                        fwrite(&r, 4, 1, out);
                    }
                    fclose(in);
                    fclose(out);
                    return 0;
                }
                """;
        Files.writeString(dir.resolve("prelude.c"), program);
        DeviceCompilers.Result build = DeviceCompilers.run(dir, List.of(cc.get().toString(), "-O1", "-Wall", "-Werror", "-o", "prelude", "prelude.c"));
        assertEquals(0, build.exit(), build.output());

        int[] halves = new int[65536 + 3];
        for (int h = 0; h < 65536; h++) halves[h] = h;
        halves[65536] = 0x13c00; // only the low 16 bits count
        halves[65537] = -1;
        halves[65538] = 0x7fff0001;
        int[] toF32 = run("h", halves);
        int[] bf = run("b", halves);
        List<String> bad = new ArrayList<>();
        for (int i = 0; i < halves.length; i++) {
            int v = halves[i];
            check(bad, "f16ToF32", v, Float.floatToRawIntBits(KernelMath.f16ToF32(v)), toF32[i], true);
            check(bad, "bf16ToF32", v, Float.floatToRawIntBits(KernelMath.bf16ToF32(v)), bf[i], true);
        }

        int[] floats = new int[65536 * LOW_PATTERNS.length];
        for (int hi = 0; hi < 65536; hi++) {
            for (int k = 0; k < LOW_PATTERNS.length; k++) floats[hi * LOW_PATTERNS.length + k] = hi << 16 | LOW_PATTERNS[k];
        }
        int[] toF16 = run("f", floats);
        for (int i = 0; i < floats.length; i++) {
            int v = floats[i];
            check(bad, "f32ToF16", v, KernelMath.f32ToF16(Float.intBitsToFloat(v)), toF16[i], false);
        }
        assertEquals(List.of(), bad.size() > 20 ? bad.subList(0, 20) : bad, bad.size() + " mismatches");
    }

    private static void check(List<String> bad, String what, int input, int expected, int actual, boolean floatResult) {
        IntUnaryOperator nanSign = floatResult
                ? b -> Float.isNaN(Float.intBitsToFloat(b)) ? 2 + (b >>> 31) : 0
                : b -> (b & 0x7c00) == 0x7c00 && (b & 0x3ff) != 0 ? 2 + (b >>> 15 & 1) : 0;
        boolean ok = nanSign.applyAsInt(expected) != 0 ? nanSign.applyAsInt(expected) == nanSign.applyAsInt(actual) : expected == actual;
        if (!ok) bad.add(what + "(0x" + Integer.toHexString(input) + "): java 0x" + Integer.toHexString(expected) + ", device 0x" + Integer.toHexString(actual));
    }

    private int[] run(String mode, int[] inputs) throws Exception {
        ByteBuffer in = ByteBuffer.allocate(inputs.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : inputs) in.putInt(v);
        Files.write(dir.resolve("in.bin"), in.array());
        DeviceCompilers.Result r = DeviceCompilers.run(dir, List.of(dir.resolve("prelude").toString(), mode, "in.bin", "out.bin"));
        assertEquals(0, r.exit(), r.output());
        ByteBuffer out = ByteBuffer.wrap(Files.readAllBytes(dir.resolve("out.bin"))).order(ByteOrder.LITTLE_ENDIAN);
        int[] result = new int[inputs.length];
        for (int i = 0; i < result.length; i++) result[i] = out.getInt();
        return result;
    }
}
