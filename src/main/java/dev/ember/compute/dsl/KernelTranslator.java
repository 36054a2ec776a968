package dev.ember.compute.dsl;

import java.util.List;
import java.util.Objects;

/**
 * Translates kernel classes (see {@code kernels/README.md}) to one OpenCL C or CUDA C translation unit.
 * It parses each class's Java source with JavaParser and writes every {@link Kernel} method as a
 * device kernel, every static helper it reaches (in its class or another class of its package) as a
 * device function, once and callees first, and every static final constant it uses as a
 * {@code #define}. Names are kept: a kernel or helper {@code m} of class {@code C} is {@code C_m}
 * ({@link #functionName}), a constant {@code K} is {@code C_K}, parameters and locals keep theirs.
 *
 * <p>What it cannot write with the same meaning it rejects with a {@link KernelTranslationException}
 * located at the offending line: objects, strings, arrays other than work-group arrays, exceptions,
 * lambdas, double, recursion, calls to methods with no device translation, fields that are not
 * constants, a barrier in a kernel not declared {@code @Kernel(barrier = true)}.
 *
 * <p>Devices differ from Java in two places the source cannot show: int overflow is undefined in C
 * (kernels must not overflow), and work-group arrays start undefined on devices where Java zeroes them
 * (kernels must write before they read).
 */
public final class KernelTranslator {
    private final KernelSources sources;

    /** Reads kernel sources as classpath resources of this class's loader. */
    public KernelTranslator() {
        this(KernelSources.classpath(KernelTranslator.class.getClassLoader()));
    }

    public KernelTranslator(KernelSources sources) {
        this.sources = Objects.requireNonNull(sources);
    }

    /** One translation unit with the kernels of {@code kernelClasses} (top-level classes) and everything they use. */
    public String translate(Target target, List<Class<?>> kernelClasses) {
        Translation t = new Translation(target, sources);
        for (Class<?> c : kernelClasses) {
            if (c.getEnclosingClass() != null || c.isArray() || c.isPrimitive()) {
                throw new IllegalArgumentException(c.getName() + " is not a top-level class");
            }
            SourceFile f = t.file(c.getName());
            if (f == null) throw new IllegalArgumentException("no source for " + c.getName() + " (looked for " + c.getName().replace('.', '/') + ".java)");
            t.addRoot(f);
        }
        return t.run();
    }

    /**
     * The translation unit of the kernels in one source text (classes it references are read from this
     * translator's sources). {@code fileName} names the file, {@code Name.java}, for messages.
     */
    public String translate(Target target, String fileName, String source) {
        Translation t = new Translation(target, sources);
        t.addRoot(SourceFile.parse(fileName, source));
        return t.run();
    }

    /** The C name of method {@code method} of kernel class {@code simpleClassName}: {@code Class_method}. */
    public static String functionName(String simpleClassName, String method) {
        return simpleClassName + "_" + method;
    }

    /** The C name of a kernel in translated code, to look it up in a built program or module. */
    public static String kernelName(KernelRef kernel) {
        return functionName(kernel.owner().getSimpleName(), kernel.name());
    }
}
