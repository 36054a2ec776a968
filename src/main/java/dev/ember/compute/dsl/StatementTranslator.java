package dev.ember.compute.dsl;

import com.github.javaparser.ast.expr.Expression;
import com.github.javaparser.ast.expr.MethodCallExpr;
import com.github.javaparser.ast.expr.NameExpr;
import com.github.javaparser.ast.expr.VariableDeclarationExpr;
import com.github.javaparser.ast.body.VariableDeclarator;
import com.github.javaparser.ast.stmt.AssertStmt;
import com.github.javaparser.ast.stmt.BlockStmt;
import com.github.javaparser.ast.stmt.BreakStmt;
import com.github.javaparser.ast.stmt.ContinueStmt;
import com.github.javaparser.ast.stmt.DoStmt;
import com.github.javaparser.ast.stmt.EmptyStmt;
import com.github.javaparser.ast.stmt.ExpressionStmt;
import com.github.javaparser.ast.stmt.ForEachStmt;
import com.github.javaparser.ast.stmt.ForStmt;
import com.github.javaparser.ast.stmt.IfStmt;
import com.github.javaparser.ast.stmt.LabeledStmt;
import com.github.javaparser.ast.stmt.LocalClassDeclarationStmt;
import com.github.javaparser.ast.stmt.LocalRecordDeclarationStmt;
import com.github.javaparser.ast.stmt.ReturnStmt;
import com.github.javaparser.ast.stmt.Statement;
import com.github.javaparser.ast.stmt.SwitchEntry;
import com.github.javaparser.ast.stmt.SwitchStmt;
import com.github.javaparser.ast.stmt.SynchronizedStmt;
import com.github.javaparser.ast.stmt.ThrowStmt;
import com.github.javaparser.ast.stmt.TryStmt;
import com.github.javaparser.ast.stmt.WhileStmt;
import com.github.javaparser.ast.stmt.YieldStmt;
import java.util.ArrayList;
import java.util.List;

/**
 * Translates the statements of one method body to C, block by block. Work-group arrays
 * ({@code float[] s = ctx.localFloats(N)}) are declared at the top level of a kernel body and are
 * hoisted to the top of the C body, where OpenCL requires {@code __local} declarations.
 */
final class StatementTranslator {
    private final ExpressionTranslator ex;
    private final SourceFile file;
    private final Scope scope;
    private final DeviceFunction fn;
    private final Target target;
    private final StringBuilder out = new StringBuilder();
    private final List<String> hoisted = new ArrayList<>();
    private int indent = 1;

    StatementTranslator(ExpressionTranslator ex, SourceFile file, Scope scope, DeviceFunction fn, Target target) {
        this.ex = ex;
        this.file = file;
        this.scope = scope;
        this.fn = fn;
        this.target = target;
    }

    /** The C body, braces included, of the method whose body is {@code body}. */
    String body(BlockStmt body) {
        scope.push();
        for (Statement s : body.getStatements()) statement(s, true);
        scope.pop();
        StringBuilder sb = new StringBuilder("{\n");
        for (String h : hoisted) sb.append("    ").append(h).append('\n');
        return sb.append(out).append("}\n").toString();
    }

    private void line(String text) {
        out.append("    ".repeat(indent)).append(text).append('\n');
    }

    private void statement(Statement s, boolean top) {
        switch (s) {
            case BlockStmt b -> {
                line("{");
                nested(b);
                line("}");
            }
            case ExpressionStmt e -> {
                if (e.getExpression() instanceof VariableDeclarationExpr d) declarations(d, top);
                else line(ex.translate(e.getExpression()).code() + ";");
            }
            case IfStmt i -> ifStatement(i, "");
            case ForStmt f -> forStatement(f);
            case WhileStmt w -> {
                line("while (" + condition(w.getCondition()) + ") {");
                nested(w.getBody());
                line("}");
            }
            case DoStmt d -> {
                line("do {");
                nested(d.getBody());
                line("} while (" + condition(d.getCondition()) + ");");
            }
            case BreakStmt b -> {
                if (b.getLabel().isPresent()) throw file.error(b, "labeled break is not supported on devices");
                line("break;");
            }
            case ContinueStmt c -> {
                if (c.getLabel().isPresent()) throw file.error(c, "labeled continue is not supported on devices");
                line("continue;");
            }
            case ReturnStmt r -> returnStatement(r);
            case EmptyStmt e -> line(";");
            case SwitchStmt sw -> switchStatement(sw);
            case LabeledStmt l -> throw file.error(l, "labeled statements are not supported on devices");
            case ForEachStmt f -> throw file.error(f, "for-each loops are not supported on devices; loop over an index");
            case TryStmt t -> throw file.error(t, "try is not supported on devices (no exceptions)");
            case ThrowStmt t -> throw file.error(t, "throw is not supported on devices (no exceptions)");
            case AssertStmt a -> throw file.error(a, "assert is not supported on devices");
            case SynchronizedStmt y -> throw file.error(y, "synchronized is not supported on devices; use ctx.barrier() or ctx.atomicAdd");
            case LocalClassDeclarationStmt c -> throw file.error(c, "local classes are not supported on devices");
            case LocalRecordDeclarationStmt c -> throw file.error(c, "local records are not supported on devices");
            case YieldStmt y -> throw file.error(y, "switch expressions are not supported on devices; use a switch statement");
            default -> throw file.error(s, "statement " + s.getClass().getSimpleName() + " is not supported on devices");
        }
    }

    /** A loop or branch body: its own block, one level deeper. */
    private void nested(Statement body) {
        indent++;
        scope.push();
        if (body instanceof BlockStmt b) {
            for (Statement s : b.getStatements()) statement(s, false);
        } else {
            statement(body, false);
        }
        scope.pop();
        indent--;
    }

    private String condition(Expression e) {
        CExpr c = ex.translate(e);
        if (c.type() != KernelType.BOOLEAN) throw file.error(e, "a condition must be a boolean, not " + c.type().javaName());
        return c.code();
    }

    private void ifStatement(IfStmt i, String prefix) {
        line(prefix + "if (" + condition(i.getCondition()) + ") {");
        nested(i.getThenStmt());
        if (i.getElseStmt().isEmpty()) {
            line("}");
        } else if (i.getElseStmt().get() instanceof IfStmt elseIf) {
            ifStatement(elseIf, "} else ");
        } else {
            line("} else {");
            nested(i.getElseStmt().get());
            line("}");
        }
    }

    private void forStatement(ForStmt f) {
        scope.push();
        List<String> init = new ArrayList<>();
        for (Expression e : f.getInitialization()) {
            if (e instanceof VariableDeclarationExpr d) init.add(declarationList(d));
            else init.add(ex.translate(e).at(CExpr.ASSIGN));
        }
        String cond = f.getCompare().map(this::condition).orElse("");
        List<String> update = new ArrayList<>();
        for (Expression e : f.getUpdate()) update.add(ex.translate(e).at(CExpr.ASSIGN));
        line("for (" + String.join(", ", init) + "; " + cond + "; " + String.join(", ", update) + ") {");
        nested(f.getBody());
        line("}");
        scope.pop();
    }

    private void returnStatement(ReturnStmt r) {
        if (r.getExpression().isEmpty()) {
            if (fn.returnType != KernelType.VOID) throw file.error(r, "return needs a value");
            line("return;");
            return;
        }
        CExpr v = ex.translate(r.getExpression().get());
        KernelType t = fn.returnType;
        boolean ok = t.isNumeric() ? v.type().isNumeric() && KernelType.promote(v.type(), t) == t : v.type() == t && t == KernelType.BOOLEAN;
        if (!ok) throw file.error(r, "cannot return a " + v.type().javaName() + " from a " + t.javaName() + " method");
        line("return " + v.code() + ";");
    }

    private void switchStatement(SwitchStmt sw) {
        CExpr selector = ex.translate(sw.getSelector());
        if (selector.type() != KernelType.INT) throw file.error(sw, "a switch must be on an int, not " + selector.type().javaName());
        line("switch (" + selector.code() + ") {");
        scope.push();
        List<SwitchEntry> entries = sw.getEntries();
        for (int k = 0; k < entries.size(); k++) {
            SwitchEntry e = entries.get(k);
            if (e.getGuard().isPresent()) throw file.error(e, "guarded case labels are not supported on devices");
            if (e.getLabels().isEmpty() || e.isDefault()) {
                line("default:");
            }
            for (Expression label : e.getLabels()) {
                if (ex.intConstant(label) == null) throw file.error(label, "case labels must be int constants");
                line("case " + ex.translate(label).code() + ":");
            }
            indent++;
            switch (e.getType()) {
                case STATEMENT_GROUP -> {
                    for (Statement s : e.getStatements()) {
                        if (s instanceof ExpressionStmt es && es.getExpression() instanceof VariableDeclarationExpr) {
                            throw file.error(s, "declare a switch case's variables inside a block { }: C cannot jump past a declaration");
                        }
                        statement(s, false);
                    }
                    if (e.getStatements().isEmpty() && k == entries.size() - 1) line(";");
                }
                case EXPRESSION, BLOCK -> {
                    line("{");
                    nested(e.getStatements().get(0));
                    line("}");
                    line("break;");
                }
                case THROWS_STATEMENT -> throw file.error(e, "throw is not supported on devices (no exceptions)");
            }
            indent--;
        }
        scope.pop();
        line("}");
    }

    // ---- declarations

    private void declarations(VariableDeclarationExpr d, boolean top) {
        for (VariableDeclarator v : d.getVariables()) {
            KernelType declared = file.kernelType(v.getType());
            if (declared != null && declared.isArray()) {
                sharedArray(v, declared, top);
                continue;
            }
            line(declarator(v, declared, true) + ";");
        }
    }

    /** The declarations of a for loop's initializer, as one C declaration. */
    private String declarationList(VariableDeclarationExpr d) {
        List<String> parts = new ArrayList<>();
        for (VariableDeclarator v : d.getVariables()) {
            KernelType declared = file.kernelType(v.getType());
            if (declared != null && declared.isArray()) throw file.error(v, "arrays are only available from ctx.localFloats(n) and ctx.localInts(n) at the top level of a kernel");
            String one = declarator(v, declared, parts.isEmpty());
            parts.add(one);
        }
        return String.join(", ", parts);
    }

    /** One declarator, with its type when {@code withType} (else only {@code name = init}, or {@code *name = init}). */
    private String declarator(VariableDeclarator v, KernelType declared, boolean withType) {
        String name = v.getNameAsString();
        if (!CNames.writable(name)) throw file.error(v, "name " + name + " cannot be written in C");
        CExpr init = v.getInitializer().map(ex::translate).orElse(null);
        KernelType t = declared;
        if (t == null) {
            if (init == null) throw file.error(v, "var needs an initializer");
            t = init.type();
        }
        if (t == KernelType.CONTEXT) throw file.error(v, "the KernelContext cannot be stored in a variable");
        if (t == KernelType.VOID) throw file.error(v, "a void value cannot be stored");
        if (t.isArray()) throw file.error(v, "arrays are only available from ctx.localFloats(n) and ctx.localInts(n) at the top level of a kernel");
        if (init != null) {
            boolean ok = t.isNumeric() ? init.type().isNumeric() && KernelType.promote(init.type(), t) == t : init.type() == t;
            if (!ok) throw file.error(v, "cannot initialize a " + t.javaName() + " with a " + init.type().javaName());
        }
        Scope.Var var = scope.declare(name, t, null);
        String head;
        if (t.isBuffer()) head = withType ? target.bufferBase(t) + " *" + var.cName() : "*" + var.cName();
        else head = withType ? target.scalar(t) + " " + var.cName() : var.cName();
        return init == null ? head : head + " = " + init.at(CExpr.ASSIGN);
    }

    private void sharedArray(VariableDeclarator v, KernelType type, boolean top) {
        String wanted = type == KernelType.FLOAT_ARRAY ? "localFloats" : "localInts";
        Expression init = v.getInitializer().orElse(null);
        if (!(init instanceof MethodCallExpr m) || !m.getNameAsString().equals(wanted) || m.getScope().isEmpty()
                || !(m.getScope().get() instanceof NameExpr ctx) || scope.find(ctx.getNameAsString()) == null
                || scope.find(ctx.getNameAsString()).type() != KernelType.CONTEXT || m.getArguments().size() != 1) {
            throw file.error(v, "arrays are only available from ctx.localFloats(n) and ctx.localInts(n); a "
                    + type.javaName() + " needs ctx." + wanted + "(n)");
        }
        if (!fn.kernel) {
            throw file.error(m, "ctx." + wanted + "(n) is only allowed in a kernel (OpenCL declares __local arrays at kernel scope); pass the array to the helper");
        }
        if (!top) throw file.error(m, "ctx." + wanted + "(n) must initialize a local variable declared at the top level of the kernel body");
        Expression sizeArg = m.getArgument(0);
        Long n = ex.intConstant(sizeArg);
        if (n == null) throw file.error(sizeArg, "the size of ctx." + wanted + "(n) must be a constant (a literal or a static final int)");
        if (n <= 0) throw file.error(sizeArg, "the size of ctx." + wanted + "(n) must be positive, not " + n);
        CExpr size = ex.translate(sizeArg);
        Scope.Var var = scope.declare(v.getNameAsString(), type, size.at(CExpr.PRIMARY));
        hoisted.add(target.sharedArray(type, var.cName(), size.code()));
    }
}
