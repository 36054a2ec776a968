package dev.ember.compute.dsl;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a static method in {@code kernels/} as a kernel: {@code public static void name(KernelContext ctx, ...)}
 * invoked once per work item. Parameters after the context are typed buffers ({@link F32Buffer},
 * {@link U16Buffer}, {@link U8Buffer}, {@link I32Buffer}) or {@code int} / {@code float} scalars.
 * A kernel that calls {@link KernelContext#barrier()} must say so with {@code barrier = true}: the Java
 * executor then runs each work-group's items as concurrent threads, and the translator checks the claim.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Kernel {
    boolean barrier() default false;
}
