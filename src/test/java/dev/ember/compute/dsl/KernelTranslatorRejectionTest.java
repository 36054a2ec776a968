package dev.ember.compute.dsl;

import static dev.ember.compute.dsl.KernelTranslatorTest.kernel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** What the translator refuses, each with the file:line message that points at it. */
class KernelTranslatorRejectionTest {

    /** Translates for both targets; both must fail with {@code message}. */
    static void rejects(String message, String source) {
        for (Target target : Target.values()) {
            KernelTranslationException e = assertThrows(KernelTranslationException.class,
                    () -> KernelTranslatorTest.TRANSLATOR.translate(target, "T.java", source));
            assertEquals(message, e.getMessage(), target.toString());
        }
    }

    /** A class T (package dev.ember.kernels) whose members start on line 4. */
    static String members(String... lines) {
        return "package dev.ember.kernels;\n"
                + "import dev.ember.compute.dsl.*;\n"
                + "public final class T {\n"
                + String.join("\n", lines) + "\n"
                + "}\n";
    }

    @Test
    void objectCreation() {
        rejects("T.java:6: object creation (new Object) is not supported on devices",
                kernel("F32Buffer x", "        var o = new Object();"));
    }

    @Test
    void arraysNotFromTheContext() {
        rejects("T.java:6: arrays are only available from ctx.localFloats(n) and ctx.localInts(n); a float[] needs ctx.localFloats(n)",
                kernel("F32Buffer x", "        float[] a = new float[4];"));
        rejects("T.java:7: arrays are only available from ctx.localFloats(n) and ctx.localInts(n)",
                kernel("F32Buffer x", "        int i = 0;", "        x.set(0, new float[] {1f}[i]);"));
    }

    @Test
    void strings() {
        rejects("T.java:6: strings are not supported on devices", kernel("F32Buffer x", "        String s = \"a\";"));
    }

    @Test
    void lambdas() {
        rejects("T.java:6: lambdas are not supported on devices", kernel("F32Buffer x", "        x.set(0, ((java.util.function.Supplier<Float>) () -> 1f).get());"));
    }

    @Test
    void tryAndThrow() {
        rejects("T.java:6: try is not supported on devices (no exceptions)",
                kernel("F32Buffer x", "        try { x.set(0, 1f); } finally { x.set(1, 1f); }"));
        rejects("T.java:7: throw is not supported on devices (no exceptions)",
                kernel("F32Buffer x, int n", "        if (n < 0)", "            throw new IllegalArgumentException();"));
    }

    @Test
    void doubleMathAndUnknownCalls() {
        rejects("T.java:6: calls Math.exp, which computes in double; use KernelMath.exp",
                kernel("F32Buffer x", "        x.set(0, (float) Math.exp(x.get(0)));"));
        rejects("T.java:6: calls System.out.println, which has no device translation",
                kernel("F32Buffer x", "        System.out.println(x.get(0));"));
        rejects("T.java:6: calls unknown method helper", kernel("F32Buffer x", "        helper(x);"));
        rejects("T.java:6: calls Float.isNaN, which has no device translation",
                kernel("F32Buffer x", "        if (Float.isNaN(x.get(0))) return;"));
    }

    @Test
    void doubleValues() {
        rejects("T.java:6: double literal 0.5 is not supported on devices; write a float literal (0.5f)",
                kernel("F32Buffer x", "        x.set(0, x.get(0) * 0.5);"));
        rejects("T.java:6: double is not supported on devices (OpenCL 1.2 may lack fp64); compute in float",
                kernel("F32Buffer x", "        double d = 1;"));
    }

    @Test
    void recursion() {
        rejects("T.java:5: recursion is not supported on devices: T.fact -> T.fact", members(
                "    static int fact(int n) {",
                "        return n <= 1 ? 1 : n * fact(n - 1);",
                "    }",
                "    @Kernel",
                "    public static void k(KernelContext ctx, I32Buffer x) {",
                "        x.set(0, fact(5));",
                "    }"));
        rejects("T.java:8: recursion is not supported on devices: T.ping -> T.pong -> T.ping", members(
                "    static int ping(int n) {",
                "        return n == 0 ? 0 : pong(n - 1);",
                "    }",
                "    static int pong(int n) {",
                "        return ping(n);",
                "    }",
                "    @Kernel",
                "    public static void k(KernelContext ctx, I32Buffer x) {",
                "        x.set(0, ping(5));",
                "    }"));
    }

    @Test
    void fieldsThatAreNotConstants() {
        rejects("T.java:7: field count is not a static final constant", members(
                "    static int count = 3;",
                "    @Kernel",
                "    public static void k(KernelContext ctx, I32Buffer x) {",
                "        x.set(0, count);",
                "    }"));
        rejects("T.java:7: field size is not a static final constant", members(
                "    final int size = 3;",
                "    @Kernel",
                "    public static void k(KernelContext ctx, I32Buffer x) {",
                "        x.set(0, size);",
                "    }"));
        rejects("T.java:7: field TABLE is not an int, long, float or boolean constant", members(
                "    static final int[] TABLE = {1, 2};",
                "    @Kernel",
                "    public static void k(KernelContext ctx, I32Buffer x) {",
                "        x.set(0, TABLE[0]);",
                "    }"));
        rejects("T.java:4: a constant's initializer calls T.three; constants must be compile-time constants", members(
                "    static final int N = three();",
                "    static int three() { return 3; }",
                "    @Kernel",
                "    public static void k(KernelContext ctx, I32Buffer x) {",
                "        x.set(0, N);",
                "    }"));
    }

    @Test
    void barrierWithoutDeclaringIt() {
        rejects("T.java:5: kernel k calls ctx.barrier() (line 7) but is not declared @Kernel(barrier = true)",
                kernel("F32Buffer x", "        x.set(0, 1f);", "        ctx.barrier();"));
        rejects("T.java:7: kernel k calls ctx.barrier() (line 9) but is not declared @Kernel(barrier = true)", members(
                "    static void sync(KernelContext ctx) { ctx.barrier(); }",
                "    static void twice(KernelContext ctx) { sync(ctx); sync(ctx); }",
                "    @Kernel",
                "    public static void k(KernelContext ctx, F32Buffer x) {",
                "        x.set(0, 1f);",
                "        twice(ctx);",
                "    }"));
    }

    @Test
    void sharedArraysNeedAConstantSizeAtKernelTopLevel() {
        rejects("T.java:6: the size of ctx.localFloats(n) must be a constant (a literal or a static final int)",
                kernel("F32Buffer x, int n", "        float[] s = ctx.localFloats(n);"));
        rejects("T.java:7: ctx.localFloats(n) must initialize a local variable declared at the top level of the kernel body",
                kernel("F32Buffer x, int n", "        if (n > 0) {", "            float[] s = ctx.localFloats(4);", "        }"));
        rejects("T.java:5: ctx.localInts(n) is only allowed in a kernel (OpenCL declares __local arrays at kernel scope); pass the array to the helper",
                members(
                "    static int scratch(KernelContext ctx) {",
                "        int[] s = ctx.localInts(4);",
                "        return s[0];",
                "    }",
                "    @Kernel",
                "    public static void k(KernelContext ctx, I32Buffer x) {",
                "        x.set(0, scratch(ctx));",
                "    }"));
        rejects("T.java:6: arrays are only available from ctx.localFloats(n) and ctx.localInts(n)",
                kernel("F32Buffer x", "        x.set(0, ctx.localFloats(4)[0]);"));
        rejects("T.java:6: ctx.localFloats(n) must initialize a local variable declared at the top level of the kernel body",
                kernel("F32Buffer x", "        x.set(0, KernelMath.abs(ctx.localFloats(4).length));"));
    }

    @Test
    void wrongKernelSignatures() {
        rejects("T.java:5: kernel k must be public static void k(KernelContext ctx, ...)", members(
                "    @Kernel",
                "    public static void k(F32Buffer x) {",
                "    }"));
        rejects("T.java:5: kernel k must be public static void k(KernelContext ctx, ...)", members(
                "    @Kernel",
                "    public static int k(KernelContext ctx) {",
                "        return 0;",
                "    }"));
        rejects("T.java:5: kernel k must be public static void k(KernelContext ctx, ...)", members(
                "    @Kernel",
                "    public void k(KernelContext ctx) {",
                "    }"));
        rejects("T.java:5: kernel k must be public static void k(KernelContext ctx, ...)", members(
                "    @Kernel",
                "    static void k(KernelContext ctx) {",
                "    }"));
        rejects("T.java:5: kernel parameter n has type long; kernels take F32Buffer, U16Buffer, U8Buffer, I32Buffer, int or float",
                kernel("long n"));
        rejects("T.java:5: type java.util.List is not in the kernel dialect (int, long, float, boolean, typed buffers, arrays from ctx.localFloats/localInts)",
                kernel("java.util.List x"));
    }

    @Test
    void kernelsCannotCallKernelsAndHelpersCannotBeOverloaded() {
        rejects("T.java:9: calls kernel T.a; a kernel cannot be called, move the shared code into a static helper", members(
                "    @Kernel",
                "    public static void a(KernelContext ctx, F32Buffer x) {",
                "    }",
                "    @Kernel",
                "    public static void b(KernelContext ctx, F32Buffer x) {",
                "        a(ctx, x);",
                "    }"));
        rejects("T.java:8: calls T.f, which is overloaded; device functions need distinct names", members(
                "    static float f(float v) { return v; }",
                "    static int f(int v) { return v; }",
                "    @Kernel",
                "    public static void k(KernelContext ctx, F32Buffer x) {",
                "        x.set(0, f(1f));",
                "    }"));
    }

    @Test
    void constructsWithoutAFaithfulTranslation() {
        rejects("T.java:6: labeled statements are not supported on devices",
                kernel("F32Buffer x", "        outer: for (int i = 0; i < 2; i++) { break outer; }"));
        rejects("T.java:6: F32Buffer.length() is not available on devices; pass the size as a kernel parameter",
                kernel("F32Buffer x", "        x.set(0, x.length());"));
    }

    @Test
    void compoundAssignmentWithSideEffectsNeedingARewrite() {
        rejects("T.java:8: >>>= on a target with side effects cannot be translated faithfully; assign to a local first",
                kernel("F32Buffer x", "        int[] s = ctx.localInts(4);", "        int i = 0;", "        s[i++] >>>= 1;"));
    }

    @Test
    void dimensionsMustBeConstants() {
        rejects("T.java:6: ctx.globalId needs a constant dimension 0, 1 or 2",
                kernel("F32Buffer x, int d", "        x.set(ctx.globalId(d), 1f);"));
        rejects("T.java:6: ctx.localSize needs a constant dimension 0, 1 or 2",
                kernel("F32Buffer x", "        x.set(ctx.localSize(3), 1f);"));
    }

    @Test
    void arrayParameterLengthsAreUnknown() {
        rejects("T.java:5: the length of array parameter s is not known on devices; pass it as a parameter", members(
                "    static int last(int[] s) {",
                "        return s[s.length - 1];",
                "    }",
                "    @Kernel",
                "    public static void k(KernelContext ctx, I32Buffer x) {",
                "        int[] s = ctx.localInts(4);",
                "        x.set(0, last(s));",
                "    }"));
    }

    @Test
    void switchGroupsCannotDeclareVariablesOutsideABlock() {
        rejects("T.java:8: declare a switch case's variables inside a block { }: C cannot jump past a declaration",
                kernel("I32Buffer x, int t",
                        "        switch (t) {",
                        "            case 1:",
                        "                int y = 2;",
                        "                x.set(0, y);",
                        "        }"));
    }

    @Test
    void parseErrorsAreLocated() {
        KernelTranslationException e = assertThrows(KernelTranslationException.class,
                () -> KernelTranslatorTest.TRANSLATOR.translate(Target.OPENCL, "T.java", kernel("F32Buffer x", "        int = ;")));
        assertEquals("T.java", e.file());
        // JavaParser locates the error at the start of the token range it gave up on: the method body's brace
        assertTrue(e.getMessage().startsWith("T.java:5: does not parse: Parse error. Found \"int\""), e.getMessage());
    }

    @Test
    void aClassWithoutKernels() {
        rejects("T.java:3: class T declares no @Kernel method", members("    static int f() { return 1; }"));
    }
}
