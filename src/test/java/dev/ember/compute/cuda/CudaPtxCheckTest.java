package dev.ember.compute.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Assumptions;

/** {@link PtxCheck} on the hand-written test kernels (valid sm_90 code) and on a broken one (the error comes back). */
class CudaPtxCheckTest {
    @BeforeEach
    void tools() {
        Assumptions.assumeTrue(PtxCheck.available(), "nvcc/ptxas not installed in " + PtxCheck.BIN);
    }

    @Test
    void saxpyCompilesToAnSm90Entry() {
        String ptx = PtxCheck.check("saxpy", Saxpy.CUDA);
        assertTrue(ptx.contains(".target sm_90"), ptx);
        assertTrue(ptx.contains(".entry Saxpy_saxpy("), "extern \"C\" keeps the name unmangled:\n" + ptx);
        assertEquals(4, ptx.lines().filter(l -> l.strip().startsWith(".param")).count(), "two pointers, a float and an int:\n" + ptx);
    }

    @Test
    void gridIdsCompiles() {
        String ptx = PtxCheck.check("ids", GridIds.CUDA);
        assertTrue(ptx.contains(".entry GridIds_ids("), ptx);
        assertTrue(ptx.contains("%ctaid.y") && ptx.contains("%tid.y"), "reads the 2-D block and thread ids:\n" + ptx);
    }

    @Test
    void brokenSourceReportsTheCompilerError() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> PtxCheck.check("broken", Broken.CUDA));
        assertTrue(e.getMessage().startsWith("nvcc failed (exit "), e.getMessage());
        assertTrue(e.getMessage().contains("identifier \"undefined_value\" is undefined"), e.getMessage());
        assertTrue(e.getMessage().contains("broken.cu(2)"), "names the file and line: " + e.getMessage());
    }

    @Test
    void invalidInlinePtxIsReported() {
        String source = """
                extern "C" __global__ void bad(int* out) {
                    asm volatile("not_an_instruction.u32 %0;" : : "r"(out[0]));
                }
                """;
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> PtxCheck.check("bad", source));
        assertTrue(e.getMessage().contains("Not a name of any known instruction: 'not_an_instruction'"), e.getMessage());
    }

    @Test
    void assemblerRejectsBrokenPtxText() {
        String good = PtxCheck.check("saxpy", Saxpy.CUDA);
        PtxCheck.assemble("saxpy", good);
        String broken = good.replace("ld.param.u64", "ld.param.u65");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> PtxCheck.assemble("saxpy", broken));
        assertTrue(e.getMessage().startsWith("ptxas failed (exit "), e.getMessage());
        assertTrue(e.getMessage().contains("saxpy.ptx, line "), "names the line: " + e.getMessage());
    }
}
