package dev.ember.compute.dsl;

import com.github.javaparser.ast.Node;
import com.github.javaparser.ast.body.MethodDeclaration;
import com.github.javaparser.ast.body.Parameter;
import com.github.javaparser.ast.expr.Expression;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The state of one translation: the source files read so far, the device functions reached from the
 * kernels (translated once each), the constants and prelude functions they use; and the assembly of
 * the translation unit, helpers in dependency order ahead of the kernels.
 */
final class Translation {
    private final Target target;
    private final KernelSources sources;
    private final JavaLibrary library;
    private final Map<String, Optional<SourceFile>> files = new HashMap<>();
    private final List<SourceFile> roots = new ArrayList<>();
    private final Map<String, DeviceFunction> functions = new LinkedHashMap<>();
    private final Deque<DeviceFunction> pending = new ArrayDeque<>();
    private final List<DeviceFunction> kernels = new ArrayList<>();
    private final Map<String, String> constants = new LinkedHashMap<>();
    private final Set<String> constantsInProgress = new HashSet<>();
    private final EnumSet<DevicePrelude> prelude = EnumSet.noneOf(DevicePrelude.class);

    Translation(Target target, KernelSources sources) {
        this.target = target;
        this.sources = sources;
        this.library = new JavaLibrary(target, prelude::add);
    }

    Target target() {
        return target;
    }

    JavaLibrary library() {
        return library;
    }

    /** Adds a file whose kernels are to be translated. */
    void addRoot(SourceFile f) {
        files.put(f.qualifiedName(), Optional.of(f));
        roots.add(f);
    }

    /** The parsed source of a class, read on first use; null when no source has that name. */
    SourceFile file(String qualifiedName) {
        Optional<SourceFile> f = files.get(qualifiedName);
        if (f == null) {
            String simple = qualifiedName.substring(qualifiedName.lastIndexOf('.') + 1);
            f = sources.find(qualifiedName).map(text -> SourceFile.parse(simple + ".java", text));
            files.put(qualifiedName, f);
        }
        return f.orElse(null);
    }

    /** The helper {@code owner.name} called at {@code at} in {@code from}; queued for translation on first use. */
    DeviceFunction helper(SourceFile owner, String name, Node at, SourceFile from) {
        List<MethodDeclaration> ms = owner.methods(name);
        String shown = owner.simpleName() + "." + name;
        if (ms.size() > 1) throw from.error(at, "calls " + shown + ", which is overloaded; device functions need distinct names");
        MethodDeclaration m = ms.getFirst();
        if (DeviceFunction.isKernel(m)) {
            throw from.error(at, "calls kernel " + shown + "; a kernel cannot be called, move the shared code into a static helper");
        }
        if (!m.isStatic()) throw from.error(at, "calls " + shown + ", an instance method; device helpers must be static");
        String key = owner.qualifiedName() + "#" + name;
        DeviceFunction f = functions.get(key);
        if (f == null) {
            f = DeviceFunction.of(owner, m, false);
            functions.put(key, f);
            pending.add(f);
        }
        return f;
    }

    /** The C name of a static final constant used at {@code at} in {@code from}, defined on first use. */
    CExpr constant(SourceFile.FieldMember m, Node at, SourceFile from) {
        String name = m.variable().getNameAsString();
        if (!m.declaration().isStatic() || !m.declaration().isFinal()) {
            throw from.error(at, "field " + name + " is not a static final constant");
        }
        KernelType t = m.owner().kernelType(m.variable().getType());
        if (t == null || !(t.isNumeric() || t == KernelType.BOOLEAN)) {
            throw from.error(at, "field " + name + " is not an int, long, float or boolean constant");
        }
        Expression init = m.variable().getInitializer().orElseThrow(() -> from.error(at, "field " + name + " has no constant initializer"));
        String cName = KernelTranslator.functionName(m.owner().simpleName(), name);
        if (!constants.containsKey(cName)) {
            if (!constantsInProgress.add(cName)) throw m.owner().error(init, "constant " + name + " is defined in terms of itself");
            CExpr value = new ExpressionTranslator(this, m.owner(), new Scope(), null).translate(init);
            boolean ok = t.isNumeric() ? value.type().isNumeric() && KernelType.promote(value.type(), t) == t : value.type() == t;
            if (!ok) throw m.owner().error(init, "constant " + name + " of type " + t.javaName() + " cannot hold a " + value.type().javaName());
            String code = value.type() == t ? value.at(CExpr.PRIMARY) : "((" + target.scalar(t) + ")" + value.at(CExpr.UNARY) + ")";
            constantsInProgress.remove(cName);
            constants.put(cName, code);
        }
        return CExpr.primary(cName, t);
    }

    /** Translates every kernel of the root files and what they reach, and assembles the translation unit. */
    String run() {
        for (SourceFile f : roots) {
            Set<String> names = new HashSet<>();
            for (MethodDeclaration m : f.type().getMethods()) {
                if (!DeviceFunction.isKernel(m)) continue;
                if (!names.add(m.getNameAsString())) throw f.error(m.getName(), "kernel " + m.getNameAsString() + " is overloaded; kernels need distinct names");
                DeviceFunction k = DeviceFunction.of(f, m, true);
                functions.put(f.qualifiedName() + "#" + m.getNameAsString(), k);
                kernels.add(k);
                pending.add(k);
            }
            if (names.isEmpty()) throw new KernelTranslationException(f.fileName(), SourceFile.line(f.type()), "class " + f.simpleName() + " declares no @Kernel method");
        }
        while (!pending.isEmpty()) translate(pending.poll());
        List<DeviceFunction> helpers = new ArrayList<>();
        Map<DeviceFunction, Boolean> visiting = new IdentityHashMap<>();
        for (DeviceFunction k : kernels) order(k, visiting, new ArrayDeque<>(), helpers);
        Map<DeviceFunction, Integer> barriers = new IdentityHashMap<>();
        for (DeviceFunction k : kernels) {
            int line = barrierLine(k, barriers);
            if (line != 0 && !k.barrierDeclared) {
                throw k.file.error(k.declaration.getName(), "kernel " + k.declaration.getNameAsString() + " calls ctx.barrier() (line " + line
                        + ") but is not declared @Kernel(barrier = true)");
            }
        }
        return assemble(helpers);
    }

    private void translate(DeviceFunction f) {
        Scope scope = new Scope();
        List<String> params = new ArrayList<>();
        for (int i = 0; i < f.parameters.size(); i++) {
            Parameter p = f.declaration.getParameter(i);
            KernelType t = f.parameters.get(i);
            Scope.Var v = scope.declare(p.getNameAsString(), t, null);
            if (t == KernelType.CONTEXT) continue;
            if (t.isBuffer()) params.add(target.bufferBase(t) + "* " + v.cName());
            else if (t.isArray()) params.add(target.arrayBase(t) + "* " + v.cName());
            else params.add(target.scalar(t) + " " + v.cName());
        }
        String list = params.isEmpty() ? "void" : String.join(", ", params);
        String head = f.kernel
                ? target.kernelPrefix() + " " + f.cName + "(" + list + ")"
                : target.functionPrefix() + " " + target.scalar(f.returnType) + " " + f.cName + "(" + list + ")";
        ExpressionTranslator ex = new ExpressionTranslator(this, f.file, scope, f);
        String body = new StatementTranslator(ex, f.file, scope, f, target).body(f.declaration.getBody().orElseThrow());
        f.code = "// " + f.file.fileName() + ":" + SourceFile.line(f.declaration.getName()) + " " + f.javaName() + "\n" + head + " " + body;
    }

    /** Depth-first over calls: helpers land in {@code out} after everything they call; a cycle is recursion. */
    private void order(DeviceFunction f, Map<DeviceFunction, Boolean> state, Deque<DeviceFunction> path, List<DeviceFunction> out) {
        Boolean s = state.get(f);
        if (s != null) return;
        state.put(f, Boolean.FALSE);
        path.addLast(f);
        for (DeviceFunction.Call c : f.calls) {
            if (state.get(c.callee()) == Boolean.FALSE) {
                StringBuilder cycle = new StringBuilder();
                boolean on = false;
                for (DeviceFunction p : path) {
                    if (p == c.callee()) on = true;
                    if (on) cycle.append(p.javaName()).append(" -> ");
                }
                cycle.append(c.callee().javaName());
                throw new KernelTranslationException(f.file.fileName(), c.line(), "recursion is not supported on devices: " + cycle);
            }
            order(c.callee(), state, path, out);
        }
        path.removeLast();
        state.put(f, Boolean.TRUE);
        if (!f.kernel) out.add(f);
    }

    /** The line in {@code f} of its first barrier, direct or through a helper; 0 for none. */
    private static int barrierLine(DeviceFunction f, Map<DeviceFunction, Integer> memo) {
        Integer known = memo.get(f);
        if (known != null) return known;
        int line = f.barrierLine;
        for (DeviceFunction.Call c : f.calls) {
            if (barrierLine(c.callee(), memo) != 0 && (line == 0 || c.line() < line)) line = c.line();
        }
        memo.put(f, line);
        return line;
    }

    private String assemble(List<DeviceFunction> helpers) {
        StringBuilder sb = new StringBuilder();
        List<String> names = new ArrayList<>();
        for (SourceFile f : roots) names.add(f.fileName());
        sb.append("// ").append(target.language()).append(", translated from ").append(String.join(", ", names))
                .append(" by Ember's KernelTranslator. Compile with ").append(target.compilerOptions()).append(".\n");
        if (target == Target.OPENCL) sb.append("#pragma OPENCL FP_CONTRACT OFF\n");
        for (DevicePrelude p : prelude) sb.append('\n').append(p.source(target));
        if (!constants.isEmpty()) sb.append('\n');
        for (Map.Entry<String, String> c : constants.entrySet()) sb.append("#define ").append(c.getKey()).append(' ').append(c.getValue()).append('\n');
        for (DeviceFunction h : helpers) sb.append('\n').append(h.code);
        for (DeviceFunction k : kernels) sb.append('\n').append(k.code);
        return sb.toString();
    }
}
