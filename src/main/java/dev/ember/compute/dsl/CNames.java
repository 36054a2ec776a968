package dev.ember.compute.dsl;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * C spellings of Java identifiers. Java names are kept, except those that are keywords, types or
 * built-ins of C, C++, OpenCL C or CUDA (a local called {@code half}, {@code local} or {@code max}),
 * which get a trailing underscore.
 */
final class CNames {
    private static final Set<String> RESERVED = Set.of(
            // C and C++
            "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern",
            "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed",
            "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "bool",
            "true", "false", "class", "new", "delete", "this", "template", "typename", "namespace", "using", "operator",
            "friend", "virtual", "public", "private", "protected", "try", "catch", "throw", "explicit", "mutable",
            "export", "and", "or", "not", "xor", "bitand", "bitor", "compl", "and_eq", "or_eq", "xor_eq", "not_eq",
            "asm", "nullptr", "constexpr", "decltype", "noexcept", "static_assert", "thread_local", "alignas",
            "alignof", "wchar_t", "char16_t", "char32_t", "dynamic_cast", "static_cast", "reinterpret_cast",
            "const_cast", "typeid", "concept", "requires", "main", "NULL",
            // OpenCL C
            "kernel", "global", "local", "constant", "read_only", "write_only", "read_write", "half", "uchar",
            "ushort", "uint", "ulong", "size_t", "ptrdiff_t", "intptr_t", "uintptr_t", "sampler_t", "event_t",
            "image1d_t", "image2d_t", "image3d_t", "complex", "imaginary", "quad",
            // CUDA
            "threadIdx", "blockIdx", "blockDim", "gridDim", "warpSize",
            // functions and macros the translation emits
            "max", "min", "abs", "llmax", "llmin", "llabs", "fmax", "fmin", "fabs", "exp", "sqrt", "fma", "rint",
            "fmod", "expf", "sqrtf", "fabsf", "fmaxf", "fminf", "fmaf", "rintf", "fmodf", "as_int", "as_uint",
            "as_float", "barrier", "atomic_add", "atomicAdd", "get_global_id", "get_local_id", "get_group_id",
            "get_local_size", "get_num_groups", "get_global_size", "convert_int_sat", "convert_long_sat",
            "INFINITY", "NAN");
    private static final Pattern VECTOR = Pattern.compile("(char|uchar|short|ushort|int|uint|long|ulong|float|double|half|bool)(2|3|4|8|16)");
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private CNames() {}

    /** Whether {@code javaName} can be written in C at all (ASCII letters, digits, underscores). */
    static boolean writable(String javaName) {
        return PLAIN.matcher(javaName).matches();
    }

    /** The C name of a Java local, parameter or function part. */
    static String of(String javaName) {
        boolean clash = RESERVED.contains(javaName) || VECTOR.matcher(javaName).matches() || javaName.startsWith("__")
                || javaName.startsWith("ember_") || javaName.startsWith("CLK_") || javaName.startsWith("__builtin");
        return clash ? javaName + "_" : javaName;
    }
}
