package dev.ember.compute.dsl;

import com.github.javaparser.ast.Node;
import com.github.javaparser.ast.expr.ArrayAccessExpr;
import com.github.javaparser.ast.expr.ArrayCreationExpr;
import com.github.javaparser.ast.expr.ArrayInitializerExpr;
import com.github.javaparser.ast.expr.AssignExpr;
import com.github.javaparser.ast.expr.BinaryExpr;
import com.github.javaparser.ast.expr.BooleanLiteralExpr;
import com.github.javaparser.ast.expr.CastExpr;
import com.github.javaparser.ast.expr.CharLiteralExpr;
import com.github.javaparser.ast.expr.ClassExpr;
import com.github.javaparser.ast.expr.ConditionalExpr;
import com.github.javaparser.ast.expr.DoubleLiteralExpr;
import com.github.javaparser.ast.expr.EnclosedExpr;
import com.github.javaparser.ast.expr.Expression;
import com.github.javaparser.ast.expr.FieldAccessExpr;
import com.github.javaparser.ast.expr.InstanceOfExpr;
import com.github.javaparser.ast.expr.IntegerLiteralExpr;
import com.github.javaparser.ast.expr.LambdaExpr;
import com.github.javaparser.ast.expr.LongLiteralExpr;
import com.github.javaparser.ast.expr.MethodCallExpr;
import com.github.javaparser.ast.expr.MethodReferenceExpr;
import com.github.javaparser.ast.expr.NameExpr;
import com.github.javaparser.ast.expr.NullLiteralExpr;
import com.github.javaparser.ast.expr.ObjectCreationExpr;
import com.github.javaparser.ast.expr.StringLiteralExpr;
import com.github.javaparser.ast.expr.SuperExpr;
import com.github.javaparser.ast.expr.SwitchExpr;
import com.github.javaparser.ast.expr.TextBlockLiteralExpr;
import com.github.javaparser.ast.expr.ThisExpr;
import com.github.javaparser.ast.expr.UnaryExpr;
import com.github.javaparser.ast.type.PrimitiveType;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Translates the expressions of one method body (or one constant's initializer) to C, tracking each
 * expression's Java type so that every operator keeps its Java meaning: {@code >>>} shifts the unsigned
 * type, shift counts are masked as Java masks them, float-to-int casts saturate and truncate, float
 * {@code %} is {@code fmod}, and library calls get float arguments.
 */
final class ExpressionTranslator {
    private static final int MAX_CONSTANT_DEPTH = 32;

    private final Translation tr;
    private final Target target;
    private final SourceFile file;
    private final Scope scope;
    /** The function being translated; null while translating a constant's initializer. */
    private final DeviceFunction fn;

    ExpressionTranslator(Translation tr, SourceFile file, Scope scope, DeviceFunction fn) {
        this.tr = tr;
        this.target = tr.target();
        this.file = file;
        this.scope = scope;
        this.fn = fn;
    }

    private KernelTranslationException error(Node at, String what) {
        return file.error(at, what);
    }

    CExpr translate(Expression e) {
        return switch (e) {
            case EnclosedExpr p -> {
                CExpr in = translate(p.getInner());
                yield new CExpr("(" + in.code() + ")", in.type(), CExpr.PRIMARY);
            }
            case IntegerLiteralExpr l -> intLiteral(l);
            case LongLiteralExpr l -> longLiteral(l);
            case DoubleLiteralExpr l -> floatLiteral(l);
            case BooleanLiteralExpr b -> CExpr.primary(b.getValue() ? "true" : "false", KernelType.BOOLEAN);
            case CharLiteralExpr c -> throw error(c, "char literals are not supported on devices");
            case StringLiteralExpr s -> throw error(s, "strings are not supported on devices");
            case TextBlockLiteralExpr s -> throw error(s, "strings are not supported on devices");
            case NullLiteralExpr n -> throw error(n, "null is not supported on devices");
            case NameExpr n -> name(n);
            case FieldAccessExpr f -> fieldAccess(f);
            case ArrayAccessExpr a -> arrayAccess(a);
            case MethodCallExpr m -> call(m);
            case UnaryExpr u -> unary(u);
            case BinaryExpr b -> binary(b);
            case AssignExpr a -> assign(a);
            case ConditionalExpr c -> conditional(c);
            case CastExpr c -> cast(c);
            case ObjectCreationExpr o -> throw error(o, "object creation (new " + o.getType().asString() + ") is not supported on devices");
            case ArrayCreationExpr a -> throw error(a, "arrays are only available from ctx.localFloats(n) and ctx.localInts(n)");
            case ArrayInitializerExpr a -> throw error(a, "arrays are only available from ctx.localFloats(n) and ctx.localInts(n)");
            case LambdaExpr l -> throw error(l, "lambdas are not supported on devices");
            case MethodReferenceExpr m -> throw error(m, "method references are not supported on devices");
            case InstanceOfExpr i -> throw error(i, "instanceof is not supported on devices");
            case SwitchExpr s -> throw error(s, "switch expressions are not supported on devices; use a switch statement");
            case ThisExpr t -> throw error(t, "this is not available in static kernel code");
            case SuperExpr s -> throw error(s, "super is not available in static kernel code");
            case ClassExpr c -> throw error(c, "class literals are not supported on devices");
            default -> throw error(e, "expression " + e + " is not supported on devices");
        };
    }

    // ---- literals

    private CExpr intLiteral(IntegerLiteralExpr l) {
        String text = l.getValue().replace("_", "");
        Literal lit = Literal.parse(text.toLowerCase(Locale.ROOT));
        if (lit.radix == 10 && lit.value > Integer.MAX_VALUE) {
            throw error(l, "int literal " + l.getValue() + " is out of range");
        }
        if (lit.value <= Integer.MAX_VALUE) return CExpr.primary(lit.radix == 2 ? "0x" + Long.toHexString(lit.value) : text, KernelType.INT);
        // a hex, octal or binary int with bit 31 set is negative in Java but unsigned in C
        return new CExpr("(int)0x" + Long.toHexString(lit.value) + "u", KernelType.INT, CExpr.UNARY);
    }

    private CExpr longLiteral(LongLiteralExpr l) {
        String text = l.getValue().replace("_", "");
        Literal lit = Literal.parse(text.substring(0, text.length() - 1).toLowerCase(Locale.ROOT));
        String suffix = target.longSuffix();
        if (lit.radix == 10 && lit.value < 0) throw error(l, "long literal " + l.getValue() + " is out of range");
        if (lit.value >= 0) {
            String digits = lit.radix == 2 ? "0x" + Long.toHexString(lit.value) : text.substring(0, text.length() - 1);
            return CExpr.primary(digits + suffix, KernelType.LONG);
        }
        return new CExpr("(" + target.scalar(KernelType.LONG) + ")0x" + Long.toHexString(lit.value) + "U" + suffix, KernelType.LONG, CExpr.UNARY);
    }

    /** An integer literal's value (two's complement bits for hex/octal/binary) and radix. */
    private record Literal(long value, int radix) {
        static Literal parse(String t) {
            if (t.startsWith("0x")) return new Literal(Long.parseUnsignedLong(t.substring(2), 16), 16);
            if (t.startsWith("0b")) return new Literal(Long.parseUnsignedLong(t.substring(2), 2), 2);
            if (t.length() > 1 && t.startsWith("0")) return new Literal(Long.parseUnsignedLong(t.substring(1), 8), 8);
            return new Literal(Long.parseUnsignedLong(t), 10);
        }
    }

    private CExpr floatLiteral(DoubleLiteralExpr l) {
        String text = l.getValue().replace("_", "");
        char last = Character.toLowerCase(text.charAt(text.length() - 1));
        if (last != 'f') {
            throw error(l, "double literal " + l.getValue() + " is not supported on devices; write a float literal (" + text.replaceAll("[dD]$", "") + "f)");
        }
        String body = text.substring(0, text.length() - 1);
        boolean hex = body.startsWith("0x") || body.startsWith("0X");
        if (!hex && body.indexOf('.') < 0 && body.indexOf('e') < 0 && body.indexOf('E') < 0) body = body + ".0";
        return CExpr.primary(body + "f", KernelType.FLOAT);
    }

    // ---- names and fields

    private CExpr name(NameExpr n) {
        String id = n.getNameAsString();
        Scope.Var v = scope.find(id);
        if (v != null) return CExpr.primary(v.cName(), v.type());
        CExpr c = staticField(id, n);
        if (c == null) throw error(n, "unknown name " + id);
        return c;
    }

    /** A constant named without a class: this class's field, else one imported statically. */
    private CExpr staticField(String id, Node at) {
        SourceFile.FieldMember m = file.field(id);
        if (m != null) return tr.constant(m, at, file);
        for (String owner : file.staticImportOwners(id)) {
            if (JavaLibrary.isLibrary(owner)) {
                CExpr c = tr.library().constant(owner, id);
                if (c != null) return c;
            } else {
                SourceFile o = tr.file(owner);
                SourceFile.FieldMember f = o == null ? null : o.field(id);
                if (f != null) return tr.constant(f, at, file);
            }
        }
        return null;
    }

    private CExpr fieldAccess(FieldAccessExpr f) {
        String field = f.getNameAsString();
        Expression s = f.getScope();
        if (s instanceof NameExpr n && scope.find(n.getNameAsString()) != null) {
            Scope.Var v = scope.find(n.getNameAsString());
            if (v.type().isArray() && field.equals("length")) {
                if (v.length() == null) {
                    throw error(f, "the length of array parameter " + n.getNameAsString() + " is not known on devices; pass it as a parameter");
                }
                return CExpr.primary(v.length(), KernelType.INT);
            }
            throw error(f, v.type().javaName() + " has no field " + field + " on devices");
        }
        String cls = className(s);
        if (cls == null) {
            if (dotted(s) == null) throw error(f, translate(s).type().javaName() + " has no field " + field + " on devices");
            throw error(f, "unknown field " + f);
        }
        if (JavaLibrary.isLibrary(cls)) {
            CExpr c = tr.library().constant(cls, field);
            if (c == null) throw error(f, JavaLibrary.simple(cls) + "." + field + " has no device translation");
            return c;
        }
        SourceFile.FieldMember m = tr.file(cls).field(field);
        if (m == null) throw error(f, "unknown field " + f);
        return tr.constant(m, f, file);
    }

    /**
     * The qualified class a scope expression names ({@code KernelMath}, {@code Math}, a kernel class of
     * this package or an imported one), or null when it names no known class.
     */
    private String className(Expression s) {
        String dotted = dotted(s);
        if (dotted == null) return null;
        if (!dotted.contains(".")) {
            if (scope.find(dotted) != null) return null;
            String q = file.resolveClass(dotted);
            if (JavaLibrary.isLibrary(q) || tr.file(q) != null) return q;
            for (String pkg : file.onDemandImports()) {
                String c = pkg + "." + dotted;
                if (JavaLibrary.isLibrary(c) || tr.file(c) != null) return c;
            }
            String lang = "java.lang." + dotted;
            return JavaLibrary.isLibrary(lang) ? lang : null;
        }
        return JavaLibrary.isLibrary(dotted) || tr.file(dotted) != null ? dotted : null;
    }

    private static String dotted(Expression s) {
        if (s instanceof NameExpr n) return n.getNameAsString();
        if (s instanceof FieldAccessExpr f) {
            String left = dotted(f.getScope());
            return left == null ? null : left + "." + f.getNameAsString();
        }
        return null;
    }

    private CExpr arrayAccess(ArrayAccessExpr a) {
        if (a.getName() instanceof NameExpr n && scope.find(n.getNameAsString()) == null) {
            translate(n); // a field: rejected there with the reason
        }
        if (!(a.getName() instanceof NameExpr n) || scope.find(n.getNameAsString()) == null
                || !scope.find(n.getNameAsString()).type().isArray()) {
            throw error(a, "arrays are only available from ctx.localFloats(n) and ctx.localInts(n)");
        }
        Scope.Var v = scope.find(n.getNameAsString());
        CExpr index = index(a.getIndex());
        return CExpr.primary(v.cName() + "[" + index.code() + "]", v.type().element());
    }

    private CExpr index(Expression e) {
        CExpr i = translate(e);
        if (i.type() != KernelType.INT) throw error(e, "an index must be an int, not " + i.type().javaName());
        return i;
    }

    // ---- calls

    private CExpr call(MethodCallExpr m) {
        String name = m.getNameAsString();
        if (m.getTypeArguments().isPresent()) throw error(m, "explicit type arguments are not supported on devices");
        if (m.getScope().isEmpty()) {
            if (!file.methods(name).isEmpty()) return helperCall(file, name, m);
            for (String owner : file.staticImportOwners(name)) {
                if (JavaLibrary.isLibrary(owner)) return libraryCall(owner, m);
                SourceFile o = tr.file(owner);
                if (o != null && !o.methods(name).isEmpty()) return helperCall(o, name, m);
            }
            throw error(m, "calls unknown method " + name);
        }
        Expression s = m.getScope().get();
        String cls = className(s);
        if (cls != null) {
            if (JavaLibrary.isLibrary(cls)) return libraryCall(cls, m);
            SourceFile o = tr.file(cls);
            if (o.methods(name).isEmpty()) throw error(m, "calls unknown method " + o.simpleName() + "." + name);
            return helperCall(o, name, m);
        }
        String dotted = dotted(s);
        if (dotted != null && scope.find(dotted.split("\\.")[0]) == null) {
            throw error(m, "calls " + dotted + "." + name + ", which has no device translation");
        }
        CExpr receiver = translate(s);
        if (receiver.type() == KernelType.CONTEXT) return contextCall(m);
        if (receiver.type().isBuffer()) return bufferCall(receiver, m);
        throw error(m, "a " + receiver.type().javaName() + " has no method " + name + " on devices");
    }

    private List<CExpr> arguments(MethodCallExpr m) {
        List<CExpr> args = new ArrayList<>();
        for (Expression a : m.getArguments()) args.add(translate(a));
        return args;
    }

    private CExpr libraryCall(String cls, MethodCallExpr m) {
        return tr.library().call(cls, m.getNameAsString(), arguments(m), what -> error(m, what));
    }

    private CExpr helperCall(SourceFile owner, String name, MethodCallExpr m) {
        String shown = owner.simpleName() + "." + name;
        if (fn == null) throw error(m, "a constant's initializer calls " + shown + "; constants must be compile-time constants");
        DeviceFunction callee = tr.helper(owner, name, m, file);
        if (m.getArguments().size() != callee.parameters.size()) {
            throw error(m, "calls " + shown + " with " + m.getArguments().size() + " arguments; it takes " + callee.parameters.size());
        }
        List<String> args = new ArrayList<>();
        for (int i = 0; i < callee.parameters.size(); i++) {
            KernelType p = callee.parameters.get(i);
            Expression a = m.getArgument(i);
            CExpr c = translate(a);
            boolean ok = p.isNumeric() ? c.type().isNumeric() && KernelType.promote(c.type(), p) == p : c.type() == p;
            if (!ok) throw error(a, "argument " + (i + 1) + " of " + shown + " must be " + p.javaName() + ", not " + c.type().javaName());
            if (p != KernelType.CONTEXT) args.add(c.code());
        }
        fn.calls.add(new DeviceFunction.Call(callee, SourceFile.line(m)));
        return CExpr.primary(callee.cName + "(" + String.join(", ", args) + ")", callee.returnType);
    }

    private CExpr contextCall(MethodCallExpr m) {
        String name = m.getNameAsString();
        if (fn == null) throw error(m, "a constant's initializer calls ctx." + name);
        switch (name) {
            case "globalId", "localId", "groupId", "localSize", "groupCount", "globalSize" -> {
                Long d = m.getArguments().size() == 1 ? intConstant(m.getArgument(0)) : null;
                if (d == null || d < 0 || d > 2) throw error(m, "ctx." + name + " needs a constant dimension 0, 1 or 2");
                return target.workItem(name, d.intValue());
            }
            case "barrier" -> {
                fn.noteBarrier(SourceFile.line(m));
                return CExpr.primary(target.barrier(), KernelType.VOID);
            }
            case "localFloats", "localInts" -> throw error(m, fn.kernel
                    ? "ctx." + name + "(n) must initialize a local variable declared at the top level of the kernel body"
                    : "ctx." + name + "(n) is only allowed in a kernel (OpenCL declares __local arrays at kernel scope); pass the array to the helper");
            case "atomicAdd" -> {
                List<CExpr> args = arguments(m);
                if (args.size() != 3 || args.get(0).type() != KernelType.I32_BUFFER || args.get(1).type() != KernelType.INT
                        || args.get(2).type() != KernelType.INT) {
                    throw error(m, "ctx.atomicAdd takes (I32Buffer, int index, int delta)");
                }
                String pointer = "&" + args.get(0).at(CExpr.PRIMARY) + "[" + args.get(1).code() + "]";
                return CExpr.primary(target.atomicAdd(pointer, args.get(2).code()), KernelType.INT);
            }
            default -> throw error(m, "ctx." + name + " is not part of the kernel dialect");
        }
    }

    private CExpr bufferCall(CExpr buffer, MethodCallExpr m) {
        String name = m.getNameAsString();
        KernelType t = buffer.type();
        String base = buffer.at(CExpr.PRIMARY);
        switch (name) {
            case "get" -> {
                if (m.getArguments().size() != 1) throw error(m, t.javaName() + ".get takes one index");
                String element = base + "[" + index(m.getArgument(0)).code() + "]";
                if (t == KernelType.U16_BUFFER || t == KernelType.U8_BUFFER) return new CExpr("(int)" + element, KernelType.INT, CExpr.UNARY);
                return CExpr.primary(element, t.element());
            }
            case "set" -> {
                if (m.getArguments().size() != 2) throw error(m, t.javaName() + ".set takes an index and a value");
                String element = base + "[" + index(m.getArgument(0)).code() + "]";
                CExpr v = translate(m.getArgument(1));
                KernelType wanted = t.element();
                if (!v.type().isNumeric() || KernelType.promote(v.type(), wanted) != wanted) {
                    throw error(m.getArgument(1), t.javaName() + ".set takes a " + wanted.javaName() + " value, not " + v.type().javaName());
                }
                String value = switch (t) {
                    case U16_BUFFER, U8_BUFFER -> "(" + target.bufferElement(t) + ")" + v.at(CExpr.UNARY);
                    default -> v.type() == wanted ? v.at(CExpr.ASSIGN) : "(" + target.scalar(wanted) + ")" + v.at(CExpr.UNARY);
                };
                return new CExpr(element + " = " + value, KernelType.VOID, CExpr.ASSIGN);
            }
            case "length", "segment" -> throw error(m, t.javaName() + "." + name + "() is not available on devices; pass the size as a kernel parameter");
            default -> throw error(m, t.javaName() + "." + name + " is not available on devices");
        }
    }

    // ---- operators

    private CExpr unary(UnaryExpr u) {
        UnaryExpr.Operator op = u.getOperator();
        if (op == UnaryExpr.Operator.MINUS) {
            if (u.getExpression() instanceof IntegerLiteralExpr l && l.getValue().replace("_", "").equals("2147483648")) {
                return CExpr.primary("(-2147483647 - 1)", KernelType.INT);
            }
            if (u.getExpression() instanceof LongLiteralExpr l && l.getValue().replace("_", "").equalsIgnoreCase("9223372036854775808l")) {
                String s = target.longSuffix();
                return CExpr.primary("(-9223372036854775807" + s + " - 1" + s + ")", KernelType.LONG);
            }
        }
        CExpr x = translate(u.getExpression());
        switch (op) {
            case LOGICAL_COMPLEMENT -> {
                if (x.type() != KernelType.BOOLEAN) throw error(u, "! needs a boolean");
                return new CExpr("!" + x.at(CExpr.UNARY), KernelType.BOOLEAN, CExpr.UNARY);
            }
            case BITWISE_COMPLEMENT -> {
                if (!x.type().isIntegral()) throw error(u, "~ needs an int or long");
                return new CExpr("~" + x.at(CExpr.UNARY), x.type(), CExpr.UNARY);
            }
            case MINUS, PLUS -> {
                if (!x.type().isNumeric()) throw error(u, op.asString() + " needs a number");
                String operand = x.at(CExpr.UNARY);
                String sign = op.asString();
                // keep "- -x" from becoming the decrement "--x"
                if (operand.startsWith("-") || operand.startsWith("+")) sign = sign + " ";
                return new CExpr(sign + operand, x.type(), CExpr.UNARY);
            }
            default -> {
                lvalue(u.getExpression());
                if (!x.type().isNumeric()) throw error(u, op.asString() + " needs a number");
                return switch (op) {
                    case PREFIX_INCREMENT -> new CExpr("++" + x.code(), x.type(), CExpr.UNARY);
                    case PREFIX_DECREMENT -> new CExpr("--" + x.code(), x.type(), CExpr.UNARY);
                    case POSTFIX_INCREMENT -> CExpr.primary(x.code() + "++", x.type());
                    case POSTFIX_DECREMENT -> CExpr.primary(x.code() + "--", x.type());
                    default -> throw error(u, "operator " + op.asString() + " is not supported on devices");
                };
            }
        }
    }

    private CExpr binary(BinaryExpr b) {
        CExpr l = translate(b.getLeft());
        CExpr r = translate(b.getRight());
        return binary(b.getOperator(), l, r, intConstant(b.getRight()), b);
    }

    /** {@code l op r} with Java's meaning; {@code rConstant} is r's value when it is an int constant. */
    private CExpr binary(BinaryExpr.Operator op, CExpr l, CExpr r, Long rConstant, Node at) {
        String sym = op.asString();
        switch (op) {
            case OR, AND -> {
                if (l.type() != KernelType.BOOLEAN || r.type() != KernelType.BOOLEAN) throw error(at, sym + " needs booleans");
                return infix(l, sym, r, op == BinaryExpr.Operator.OR ? CExpr.OR : CExpr.AND, KernelType.BOOLEAN);
            }
            case BINARY_OR, XOR, BINARY_AND -> {
                int prec = op == BinaryExpr.Operator.BINARY_OR ? CExpr.BIT_OR : op == BinaryExpr.Operator.XOR ? CExpr.BIT_XOR : CExpr.BIT_AND;
                if (l.type() == KernelType.BOOLEAN && r.type() == KernelType.BOOLEAN) return infix(l, sym, r, prec, KernelType.BOOLEAN);
                if (!l.type().isIntegral() || !r.type().isIntegral()) throw error(at, sym + " needs two booleans or two integers");
                return infix(l, sym, r, prec, KernelType.promote(l.type(), r.type()));
            }
            case EQUALS, NOT_EQUALS -> {
                boolean ok = l.type().isNumeric() ? r.type().isNumeric() : l.type() == r.type() && (l.type() == KernelType.BOOLEAN || l.type().isBuffer());
                if (!ok) throw error(at, "cannot compare " + l.type().javaName() + " with " + r.type().javaName() + " on devices");
                return infix(l, sym, r, CExpr.EQUALITY, KernelType.BOOLEAN);
            }
            case LESS, LESS_EQUALS, GREATER, GREATER_EQUALS -> {
                numeric(l, r, sym, at);
                return infix(l, sym, r, CExpr.RELATIONAL, KernelType.BOOLEAN);
            }
            case LEFT_SHIFT, SIGNED_RIGHT_SHIFT, UNSIGNED_RIGHT_SHIFT -> {
                if (!l.type().isIntegral() || !r.type().isIntegral()) throw error(at, sym + " needs integers");
                KernelType t = l.type();
                String count = shiftCount(r, rConstant, t == KernelType.LONG ? 64 : 32);
                if (op == BinaryExpr.Operator.UNSIGNED_RIGHT_SHIFT) {
                    String code = "(" + target.scalar(t) + ")((" + target.unsigned(t) + ")" + l.at(CExpr.UNARY) + " >> " + count + ")";
                    return new CExpr(code, t, CExpr.UNARY);
                }
                return new CExpr(l.at(CExpr.SHIFT) + " " + sym + " " + count, t, CExpr.SHIFT);
            }
            case PLUS, MINUS -> {
                numeric(l, r, sym, at);
                return infix(l, sym, r, CExpr.ADDITIVE, KernelType.promote(l.type(), r.type()));
            }
            case MULTIPLY, DIVIDE -> {
                numeric(l, r, sym, at);
                return infix(l, sym, r, CExpr.MULTIPLICATIVE, KernelType.promote(l.type(), r.type()));
            }
            case REMAINDER -> {
                numeric(l, r, sym, at);
                KernelType t = KernelType.promote(l.type(), r.type());
                if (t == KernelType.FLOAT) {
                    // Java's float % is C's fmod: truncated quotient, sign of the dividend
                    String a = l.type() == KernelType.FLOAT ? l.code() : "(float)" + l.at(CExpr.UNARY);
                    String b = r.type() == KernelType.FLOAT ? r.code() : "(float)" + r.at(CExpr.UNARY);
                    return CExpr.primary(target.floatFunction("fmod") + "(" + a + ", " + b + ")", KernelType.FLOAT);
                }
                return infix(l, sym, r, CExpr.MULTIPLICATIVE, t);
            }
            default -> throw error(at, "operator " + sym + " is not supported on devices");
        }
    }

    private void numeric(CExpr l, CExpr r, String sym, Node at) {
        if (!l.type().isNumeric() || !r.type().isNumeric()) {
            throw error(at, sym + " needs numbers, not " + l.type().javaName() + " and " + r.type().javaName());
        }
    }

    private static CExpr infix(CExpr l, String sym, CExpr r, int prec, KernelType type) {
        return new CExpr(l.at(prec) + " " + sym + " " + r.at(prec + 1), type, prec);
    }

    /** Java takes shift counts modulo the width; C leaves larger counts undefined, so non-constant counts are masked. */
    private static String shiftCount(CExpr r, Long constant, int width) {
        if (constant != null && constant >= 0 && constant < width) return r.at(CExpr.SHIFT + 1);
        return "(" + r.at(CExpr.BIT_AND) + " & " + (width - 1) + ")";
    }

    private CExpr conditional(ConditionalExpr c) {
        CExpr cond = translate(c.getCondition());
        if (cond.type() != KernelType.BOOLEAN) throw error(c, "a condition must be a boolean");
        CExpr a = translate(c.getThenExpr());
        CExpr b = translate(c.getElseExpr());
        KernelType t;
        if (a.type().isNumeric() && b.type().isNumeric()) t = KernelType.promote(a.type(), b.type());
        else if (a.type() == b.type() && (a.type() == KernelType.BOOLEAN || a.type().isBuffer())) t = a.type();
        else throw error(c, "the branches of ?: must be numbers, booleans or buffers of one type");
        return new CExpr(cond.at(CExpr.OR) + " ? " + a.at(CExpr.COND) + " : " + b.at(CExpr.COND), t, CExpr.COND);
    }

    private CExpr cast(CastExpr c) {
        CExpr x = translate(c.getExpression());
        if (!(c.getType() instanceof PrimitiveType p)) throw error(c, "cast to " + c.getType().asString() + " is not supported on devices");
        String to = p.asString();
        if (to.equals("boolean")) {
            if (x.type() != KernelType.BOOLEAN) throw error(c, "cannot cast " + x.type().javaName() + " to boolean");
            return x;
        }
        if (to.equals("double")) throw error(c, "double is not supported on devices (OpenCL 1.2 may lack fp64); compute in float");
        if (!x.type().isNumeric()) throw error(c, "cannot cast " + x.type().javaName() + " to " + to);
        return switch (to) {
            case "int" -> convert(x, KernelType.INT, true);
            case "long" -> convert(x, KernelType.LONG, true);
            case "float" -> convert(x, KernelType.FLOAT, true);
            default -> {
                // byte, short, char: the value Java would widen back to int
                String asInt = x.type() == KernelType.FLOAT ? target.floatToIntegral(KernelType.INT, x.code()) : x.at(CExpr.UNARY);
                yield new CExpr("(int)(" + target.narrow(to) + ")" + asInt, KernelType.INT, CExpr.UNARY);
            }
        };
    }

    /** {@code x} converted to a numeric type as a Java cast converts it; {@code explicit} keeps a cast the author wrote. */
    private CExpr convert(CExpr x, KernelType to, boolean explicit) {
        if (x.type() == KernelType.FLOAT && to.isIntegral()) return CExpr.primary(target.floatToIntegral(to, x.code()), to);
        if (x.type() == to && !explicit) return x;
        return new CExpr("(" + target.scalar(to) + ")" + x.at(CExpr.UNARY), to, CExpr.UNARY);
    }

    // ---- assignment

    private CExpr lvalue(Expression target) {
        if (target instanceof NameExpr n) {
            Scope.Var v = scope.find(n.getNameAsString());
            if (v == null) throw error(target, "only locals, parameters and shared-array elements can be assigned; " + n + " is not one");
            if (v.type().isArray() || v.type() == KernelType.CONTEXT) throw error(target, n + " cannot be reassigned on devices");
            return CExpr.primary(v.cName(), v.type());
        }
        if (target instanceof ArrayAccessExpr a) return arrayAccess(a);
        if (target instanceof EnclosedExpr p) return lvalue(p.getInner());
        throw error(target, "only locals, parameters and shared-array elements can be assigned");
    }

    private CExpr assign(AssignExpr a) {
        CExpr lhs = lvalue(a.getTarget());
        CExpr rhs = translate(a.getValue());
        KernelType t = lhs.type();
        if (a.getOperator() == AssignExpr.Operator.ASSIGN) {
            boolean ok = t.isNumeric() ? rhs.type().isNumeric() && KernelType.promote(rhs.type(), t) == t : rhs.type() == t;
            if (!ok) throw error(a, "cannot assign a " + rhs.type().javaName() + " to a " + t.javaName());
            return new CExpr(lhs.code() + " = " + rhs.at(CExpr.ASSIGN), t, CExpr.ASSIGN);
        }
        BinaryExpr.Operator op = a.getOperator().toBinaryOperator().orElseThrow();
        Long rConstant = intConstant(a.getValue());
        CExpr value = binary(op, lhs, rhs, rConstant, a);
        boolean rewrite = op == BinaryExpr.Operator.UNSIGNED_RIGHT_SHIFT
                || (t.isIntegral() && value.type() == KernelType.FLOAT)
                || (t == KernelType.FLOAT && op == BinaryExpr.Operator.REMAINDER);
        if (rewrite) {
            // x op= y is x = (T)(x op y); C would not saturate, fmod, or shift unsigned, so spell it out
            if (!pure(a.getTarget())) {
                throw error(a, a.getOperator().asString() + " on a target with side effects cannot be translated faithfully; assign to a local first");
            }
            CExpr converted = value.type() == t ? value : convert(value, t, false);
            return new CExpr(lhs.code() + " = " + converted.at(CExpr.ASSIGN), t, CExpr.ASSIGN);
        }
        boolean shift = op == BinaryExpr.Operator.LEFT_SHIFT || op == BinaryExpr.Operator.SIGNED_RIGHT_SHIFT;
        String r = shift ? shiftCount(rhs, rConstant, t == KernelType.LONG ? 64 : 32) : rhs.at(CExpr.ASSIGN);
        return new CExpr(lhs.code() + " " + a.getOperator().asString() + " " + r, t, CExpr.ASSIGN);
    }

    /** Whether evaluating {@code e} twice means the same as once: no assignments, increments or calls. */
    private static boolean pure(Expression e) {
        return switch (e) {
            case NameExpr n -> true;
            case IntegerLiteralExpr l -> true;
            case LongLiteralExpr l -> true;
            case FieldAccessExpr f -> pure(f.getScope());
            case EnclosedExpr p -> pure(p.getInner());
            case ArrayAccessExpr a -> pure(a.getName()) && pure(a.getIndex());
            case BinaryExpr b -> pure(b.getLeft()) && pure(b.getRight());
            case CastExpr c -> pure(c.getExpression());
            case UnaryExpr u -> !changes(u.getOperator()) && pure(u.getExpression());
            default -> false;
        };
    }

    private static boolean changes(UnaryExpr.Operator op) {
        return op == UnaryExpr.Operator.PREFIX_INCREMENT || op == UnaryExpr.Operator.PREFIX_DECREMENT
                || op == UnaryExpr.Operator.POSTFIX_INCREMENT || op == UnaryExpr.Operator.POSTFIX_DECREMENT;
    }

    // ---- compile-time int constants

    /**
     * The value of an int constant expression (literals, static final int fields, operators on them),
     * or null when {@code e} is not one.
     */
    Long intConstant(Expression e) {
        return intConstant(e, 0);
    }

    private Long intConstant(Expression e, int depth) {
        if (depth > MAX_CONSTANT_DEPTH) return null;
        switch (e) {
            case IntegerLiteralExpr l -> {
                String t = l.getValue().replace("_", "").toLowerCase(Locale.ROOT);
                Literal lit = Literal.parse(t);
                return lit.value > 0xffffffffL ? null : (long) (int) lit.value;
            }
            case EnclosedExpr p -> {
                return intConstant(p.getInner(), depth + 1);
            }
            case NameExpr n -> {
                if (scope.find(n.getNameAsString()) != null) return null;
                SourceFile.FieldMember m = file.field(n.getNameAsString());
                return m == null ? null : fieldConstant(m, depth);
            }
            case FieldAccessExpr f -> {
                String cls = className(f.getScope());
                if (cls == null) return null;
                if (cls.equals("java.lang.Integer")) {
                    if (f.getNameAsString().equals("MAX_VALUE")) return (long) Integer.MAX_VALUE;
                    if (f.getNameAsString().equals("MIN_VALUE")) return (long) Integer.MIN_VALUE;
                    return null;
                }
                if (JavaLibrary.isLibrary(cls)) return null;
                SourceFile.FieldMember m = tr.file(cls).field(f.getNameAsString());
                return m == null ? null : fieldConstant(m, depth);
            }
            case UnaryExpr u -> {
                if (u.getOperator() == UnaryExpr.Operator.MINUS && u.getExpression() instanceof IntegerLiteralExpr l
                        && l.getValue().replace("_", "").equals("2147483648")) {
                    return (long) Integer.MIN_VALUE;
                }
                Long x = intConstant(u.getExpression(), depth + 1);
                if (x == null) return null;
                return switch (u.getOperator()) {
                    case MINUS -> (long) -x.intValue();
                    case PLUS -> x;
                    case BITWISE_COMPLEMENT -> (long) ~x.intValue();
                    default -> null;
                };
            }
            case CastExpr c -> {
                return c.getType().asString().equals("int") ? intConstant(c.getExpression(), depth + 1) : null;
            }
            case BinaryExpr b -> {
                Long l = intConstant(b.getLeft(), depth + 1);
                Long r = intConstant(b.getRight(), depth + 1);
                if (l == null || r == null) return null;
                int x = l.intValue();
                int y = r.intValue();
                return switch (b.getOperator()) {
                    case PLUS -> (long) (x + y);
                    case MINUS -> (long) (x - y);
                    case MULTIPLY -> (long) (x * y);
                    case DIVIDE -> y == 0 ? null : (long) (x / y);
                    case REMAINDER -> y == 0 ? null : (long) (x % y);
                    case LEFT_SHIFT -> (long) (x << y);
                    case SIGNED_RIGHT_SHIFT -> (long) (x >> y);
                    case UNSIGNED_RIGHT_SHIFT -> (long) (x >>> y);
                    case BINARY_AND -> (long) (x & y);
                    case BINARY_OR -> (long) (x | y);
                    case XOR -> (long) (x ^ y);
                    default -> null;
                };
            }
            default -> {
                return null;
            }
        }
    }

    private Long fieldConstant(SourceFile.FieldMember m, int depth) {
        if (!m.declaration().isStatic() || !m.declaration().isFinal() || m.variable().getInitializer().isEmpty()) return null;
        if (!m.variable().getType().asString().equals("int")) return null;
        ExpressionTranslator owner = new ExpressionTranslator(tr, m.owner(), new Scope(), null);
        return owner.intConstant(m.variable().getInitializer().get(), depth + 1);
    }
}
