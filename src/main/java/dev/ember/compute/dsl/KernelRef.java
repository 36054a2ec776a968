package dev.ember.compute.dsl;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;

/** Names one {@link Kernel} method: its class (one kernel idea per file in {@code kernels/}) and method name. */
public record KernelRef(Class<?> owner, String name, Method method) {
    public static KernelRef of(Class<?> owner, String name) {
        Method found = null;
        for (Method m : owner.getDeclaredMethods()) {
            if (m.getName().equals(name) && m.isAnnotationPresent(Kernel.class)) {
                if (found != null) throw new IllegalArgumentException("kernel " + owner.getSimpleName() + "." + name + " is overloaded");
                found = m;
            }
        }
        if (found == null) throw new IllegalArgumentException("no @Kernel method " + owner.getName() + "." + name);
        if (!Modifier.isStatic(found.getModifiers()) || found.getReturnType() != void.class
                || found.getParameterCount() == 0 || found.getParameterTypes()[0] != KernelContext.class) {
            throw new IllegalArgumentException("kernel " + owner.getSimpleName() + "." + name + " must be static void name(KernelContext ctx, ...)");
        }
        return new KernelRef(owner, name, found);
    }

    public boolean barrier() {
        return method.getAnnotation(Kernel.class).barrier();
    }

    @Override
    public String toString() {
        return owner.getSimpleName() + "." + name;
    }
}
