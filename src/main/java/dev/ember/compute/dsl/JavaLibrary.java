package dev.ember.compute.dsl;

import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The library calls and constants a kernel may use, and their device spellings: {@link KernelMath},
 * {@code Math.max/min/abs/fma}, the raw float bit conversions of {@code Float}, and the numeric limits
 * and special values of {@code Integer}, {@code Long} and {@code Float}. {@code Math}'s other functions
 * compute in double and are rejected.
 */
final class JavaLibrary {
    static final String KERNEL_MATH = "dev.ember.compute.dsl.KernelMath";
    private static final Set<String> CLASSES = Set.of(KERNEL_MATH, "java.lang.Math", "java.lang.Float", "java.lang.Integer", "java.lang.Long");
    private static final Set<String> KERNEL_MATH_NAMES = Set.of("exp", "sqrt", "abs", "max", "min", "fma", "rint", "f16ToF32",
            "f32ToF16", "bf16ToF32", "floatToBits", "bitsToFloat", "signed8");

    private final Target target;
    private final Consumer<DevicePrelude> prelude;

    JavaLibrary(Target target, Consumer<DevicePrelude> prelude) {
        this.target = target;
        this.prelude = prelude;
    }

    static boolean isLibrary(String qualifiedClass) {
        return CLASSES.contains(qualifiedClass);
    }

    static String simple(String qualifiedClass) {
        return qualifiedClass.substring(qualifiedClass.lastIndexOf('.') + 1);
    }

    /** A constant such as {@code Float.NEGATIVE_INFINITY}, or null when the class has no such device constant. */
    CExpr constant(String qualifiedClass, String field) {
        String l = target.longSuffix();
        return switch (simple(qualifiedClass) + "." + field) {
            case "Integer.MAX_VALUE" -> CExpr.primary("2147483647", KernelType.INT);
            case "Integer.MIN_VALUE" -> CExpr.primary("(-2147483647 - 1)", KernelType.INT);
            case "Long.MAX_VALUE" -> CExpr.primary("9223372036854775807" + l, KernelType.LONG);
            case "Long.MIN_VALUE" -> CExpr.primary("(-9223372036854775807" + l + " - 1" + l + ")", KernelType.LONG);
            case "Float.MAX_VALUE" -> CExpr.primary("3.4028235e38f", KernelType.FLOAT);
            case "Float.MIN_VALUE" -> CExpr.primary("1.4e-45f", KernelType.FLOAT);
            case "Float.MIN_NORMAL" -> CExpr.primary("1.17549435e-38f", KernelType.FLOAT);
            case "Float.POSITIVE_INFINITY" -> special("INFINITY", CExpr.PRIMARY);
            case "Float.NEGATIVE_INFINITY" -> special("-INFINITY", CExpr.UNARY);
            case "Float.NaN" -> special("NAN", CExpr.PRIMARY);
            default -> null;
        };
    }

    private CExpr special(String code, int prec) {
        if (target == Target.CUDA) prelude.accept(DevicePrelude.FLOAT_SPECIALS);
        return new CExpr(code, KernelType.FLOAT, prec);
    }

    /**
     * A call of a library method with translated arguments; {@code reject} makes the located error for
     * a call that has no faithful device translation.
     */
    CExpr call(String qualifiedClass, String method, List<CExpr> args, Function<String, KernelTranslationException> reject) {
        String cls = simple(qualifiedClass);
        String shown = cls + "." + method;
        for (CExpr a : args) {
            if (!a.type().isNumeric()) throw reject.apply(shown + " takes numbers, not " + a.type().javaName());
        }
        if (qualifiedClass.equals(KERNEL_MATH)) return kernelMath(method, args, reject);
        if (cls.equals("Math")) {
            switch (method) {
                case "max", "min" -> {
                    arity(shown, args, 2, reject);
                    return minMax(method, args);
                }
                case "abs" -> {
                    arity(shown, args, 1, reject);
                    return abs(args.getFirst());
                }
                case "fma" -> {
                    arity(shown, args, 3, reject);
                    return floatCall("fma", args);
                }
                default -> throw reject.apply(KERNEL_MATH_NAMES.contains(method)
                        ? "calls Math." + method + ", which computes in double; use KernelMath." + method
                        : "calls Math." + method + ", which has no device translation");
            }
        }
        if (shown.equals("Float.floatToRawIntBits")) {
            arity(shown, args, 1, reject);
            return CExpr.primary(target.floatAsInt(toFloat(args.getFirst())), KernelType.INT);
        }
        if (shown.equals("Float.intBitsToFloat")) {
            arity(shown, args, 1, reject);
            return CExpr.primary(target.intAsFloat(toInt(shown, args.getFirst(), reject)), KernelType.FLOAT);
        }
        throw reject.apply("calls " + shown + ", which has no device translation");
    }

    private CExpr kernelMath(String method, List<CExpr> args, Function<String, KernelTranslationException> reject) {
        String shown = "KernelMath." + method;
        switch (method) {
            case "exp", "sqrt", "rint" -> {
                arity(shown, args, 1, reject);
                return floatCall(method, args);
            }
            case "abs" -> {
                arity(shown, args, 1, reject);
                return floatCall("fabs", args);
            }
            case "max", "min" -> {
                arity(shown, args, 2, reject);
                return floatCall("f" + method, args);
            }
            case "fma" -> {
                arity(shown, args, 3, reject);
                return floatCall("fma", args);
            }
            case "f16ToF32" -> {
                arity(shown, args, 1, reject);
                prelude.accept(DevicePrelude.F16_TO_F32);
                return CExpr.primary("ember_f16_to_f32(" + toInt(shown, args.getFirst(), reject) + ")", KernelType.FLOAT);
            }
            case "bf16ToF32" -> {
                arity(shown, args, 1, reject);
                prelude.accept(DevicePrelude.BF16_TO_F32);
                return CExpr.primary("ember_bf16_to_f32(" + toInt(shown, args.getFirst(), reject) + ")", KernelType.FLOAT);
            }
            case "f32ToF16" -> {
                arity(shown, args, 1, reject);
                prelude.accept(DevicePrelude.F32_TO_F16);
                return CExpr.primary("ember_f32_to_f16(" + toFloat(args.getFirst()) + ")", KernelType.INT);
            }
            case "floatToBits" -> {
                arity(shown, args, 1, reject);
                return CExpr.primary(target.floatAsInt(toFloat(args.getFirst())), KernelType.INT);
            }
            case "bitsToFloat" -> {
                arity(shown, args, 1, reject);
                return CExpr.primary(target.intAsFloat(toInt(shown, args.getFirst(), reject)), KernelType.FLOAT);
            }
            case "signed8" -> {
                arity(shown, args, 1, reject);
                return new CExpr("(int)(" + target.narrow("byte") + ")" + args.getFirst().at(CExpr.UNARY), KernelType.INT, CExpr.UNARY);
            }
            default -> throw reject.apply("calls " + shown + ", which has no device translation");
        }
    }

    private static void arity(String shown, List<CExpr> args, int n, Function<String, KernelTranslationException> reject) {
        if (args.size() != n) throw reject.apply(shown + " takes " + n + " argument" + (n == 1 ? "" : "s") + ", got " + args.size());
    }

    /** A float function of float arguments; other numeric arguments are converted as Java converts them. */
    private CExpr floatCall(String openclName, List<CExpr> args) {
        StringBuilder sb = new StringBuilder(target.floatFunction(openclName)).append('(');
        for (int i = 0; i < args.size(); i++) {
            if (i > 0) sb.append(", ");
            sb.append(toFloat(args.get(i)));
        }
        return CExpr.primary(sb.append(')').toString(), KernelType.FLOAT);
    }

    private static String toFloat(CExpr a) {
        return a.type() == KernelType.FLOAT ? a.code() : "(float)" + a.at(CExpr.UNARY);
    }

    private static String toInt(String shown, CExpr a, Function<String, KernelTranslationException> reject) {
        if (a.type() != KernelType.INT) throw reject.apply(shown + " takes an int, not " + a.type().javaName());
        return a.code();
    }

    private CExpr minMax(String method, List<CExpr> args) {
        KernelType t = KernelType.promote(args.get(0).type(), args.get(1).type());
        if (t == KernelType.FLOAT) return floatCall("f" + method, args);
        String a = widen(args.get(0), t);
        String b = widen(args.get(1), t);
        return CExpr.primary(target.integerFunction(method, t) + "(" + a + ", " + b + ")", t);
    }

    private String widen(CExpr a, KernelType to) {
        return a.type() == to ? a.code() : "(" + target.scalar(to) + ")" + a.at(CExpr.UNARY);
    }

    private CExpr abs(CExpr a) {
        if (a.type() == KernelType.FLOAT) return floatCall("fabs", List.of(a));
        String call = target.integerFunction("abs", a.type()) + "(" + a.code() + ")";
        // OpenCL's integer abs returns the unsigned type; Java's stays signed (abs(MIN_VALUE) == MIN_VALUE)
        if (target == Target.OPENCL) return new CExpr("(" + target.scalar(a.type()) + ")" + call, a.type(), CExpr.UNARY);
        return CExpr.primary(call, a.type());
    }
}
