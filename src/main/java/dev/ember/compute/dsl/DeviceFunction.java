package dev.ember.compute.dsl;

import com.github.javaparser.ast.body.MethodDeclaration;
import com.github.javaparser.ast.body.Parameter;
import com.github.javaparser.ast.expr.AnnotationExpr;
import com.github.javaparser.ast.expr.BooleanLiteralExpr;
import com.github.javaparser.ast.expr.MarkerAnnotationExpr;
import com.github.javaparser.ast.expr.MemberValuePair;
import com.github.javaparser.ast.expr.NormalAnnotationExpr;
import java.util.ArrayList;
import java.util.List;

/**
 * A Java method that becomes a device function: a {@code @Kernel} or a static helper it reaches. Holds
 * its checked signature and, once translated, its C text and what it calls.
 */
final class DeviceFunction {
    /** A call from this function's body, for ordering, the recursion check and the barrier check. */
    record Call(DeviceFunction callee, int line) {}

    private static final String KERNEL_SHAPE = " must be public static void %s(KernelContext ctx, ...)";

    final SourceFile file;
    final MethodDeclaration declaration;
    final boolean kernel;
    final boolean barrierDeclared;
    final String cName;
    final KernelType returnType;
    final List<KernelType> parameters;
    final List<Call> calls = new ArrayList<>();
    /** The first line that calls {@code ctx.barrier()} directly, 0 for none. */
    int barrierLine;
    String code;

    private DeviceFunction(SourceFile file, MethodDeclaration declaration, boolean kernel, boolean barrierDeclared,
            KernelType returnType, List<KernelType> parameters) {
        this.file = file;
        this.declaration = declaration;
        this.kernel = kernel;
        this.barrierDeclared = barrierDeclared;
        this.cName = KernelTranslator.functionName(file.simpleName(), declaration.getNameAsString());
        this.returnType = returnType;
        this.parameters = parameters;
    }

    static boolean isKernel(MethodDeclaration m) {
        return kernelAnnotation(m) != null;
    }

    private static AnnotationExpr kernelAnnotation(MethodDeclaration m) {
        for (AnnotationExpr a : m.getAnnotations()) {
            if (a.getName().getIdentifier().equals("Kernel")) return a;
        }
        return null;
    }

    /** Checks a method's signature against the dialect. */
    static DeviceFunction of(SourceFile file, MethodDeclaration m, boolean kernel) {
        String name = m.getNameAsString();
        if (!CNames.writable(name) || !CNames.writable(file.simpleName())) {
            throw file.error(m.getName(), "name " + file.simpleName() + "." + name + " cannot be written in C (use ASCII letters, digits and _)");
        }
        if (!m.getTypeParameters().isEmpty()) throw file.error(m.getName(), "generic method " + name + " is not supported on devices");
        if (m.getBody().isEmpty()) throw file.error(m.getName(), name + " has no body");
        if (!m.isStatic()) {
            throw file.error(m.getName(), kernel ? "kernel " + name + KERNEL_SHAPE.formatted(name) : name + " is an instance method; device helpers must be static");
        }
        List<KernelType> params = new ArrayList<>();
        for (Parameter p : m.getParameters()) {
            if (p.isVarArgs()) throw file.error(p, "varargs parameter " + p.getNameAsString() + " is not supported on devices");
            if (!CNames.writable(p.getNameAsString())) throw file.error(p, "name " + p.getNameAsString() + " cannot be written in C");
            params.add(file.kernelType(p.getType()));
        }
        KernelType ret = file.kernelType(m.getType());
        if (kernel) {
            if (!m.isPublic() || ret != KernelType.VOID || params.isEmpty() || params.getFirst() != KernelType.CONTEXT) {
                throw file.error(m.getName(), "kernel " + name + KERNEL_SHAPE.formatted(name));
            }
            for (int i = 1; i < params.size(); i++) {
                KernelType t = params.get(i);
                if (!t.isBuffer() && t != KernelType.INT && t != KernelType.FLOAT) {
                    Parameter p = m.getParameter(i);
                    throw file.error(p, "kernel parameter " + p.getNameAsString() + " has type " + t.javaName()
                            + "; kernels take F32Buffer, U16Buffer, U8Buffer, I32Buffer, int or float");
                }
            }
            return new DeviceFunction(file, m, true, barrierDeclared(file, kernelAnnotation(m)), ret, params);
        }
        if (ret.isBuffer() || ret.isArray() || ret == KernelType.CONTEXT) {
            throw file.error(m.getName(), "helper " + name + " returns " + ret.javaName() + "; helpers return int, long, float, boolean or void");
        }
        return new DeviceFunction(file, m, false, false, ret, params);
    }

    private static boolean barrierDeclared(SourceFile file, AnnotationExpr a) {
        if (a instanceof MarkerAnnotationExpr) return false;
        if (a instanceof NormalAnnotationExpr n) {
            boolean barrier = false;
            for (MemberValuePair p : n.getPairs()) {
                if (!p.getNameAsString().equals("barrier") || !(p.getValue() instanceof BooleanLiteralExpr b)) {
                    throw file.error(p, "@Kernel takes only barrier = true or barrier = false");
                }
                barrier = b.getValue();
            }
            return barrier;
        }
        throw file.error(a, "@Kernel takes only barrier = true or barrier = false");
    }

    void noteBarrier(int line) {
        if (barrierLine == 0) barrierLine = line;
    }

    /** {@code Class.method}, for messages. */
    String javaName() {
        return file.simpleName() + "." + declaration.getNameAsString();
    }
}
