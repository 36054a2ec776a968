package dev.ember.compute.dsl;

import com.github.javaparser.JavaParser;
import com.github.javaparser.ParseResult;
import com.github.javaparser.ParserConfiguration;
import com.github.javaparser.Problem;
import com.github.javaparser.ast.CompilationUnit;
import com.github.javaparser.ast.ImportDeclaration;
import com.github.javaparser.ast.Node;
import com.github.javaparser.ast.body.ClassOrInterfaceDeclaration;
import com.github.javaparser.ast.body.FieldDeclaration;
import com.github.javaparser.ast.body.MethodDeclaration;
import com.github.javaparser.ast.body.TypeDeclaration;
import com.github.javaparser.ast.body.VariableDeclarator;
import com.github.javaparser.ast.type.ArrayType;
import com.github.javaparser.ast.type.ClassOrInterfaceType;
import com.github.javaparser.ast.type.PrimitiveType;
import com.github.javaparser.ast.type.Type;
import com.github.javaparser.ast.type.VarType;
import com.github.javaparser.ast.type.VoidType;
import java.util.ArrayList;
import java.util.List;

/** One parsed kernel source file: its top-level class, package and imports, and located errors. */
final class SourceFile {
    private final String fileName;
    private final String packageName;
    private final ClassOrInterfaceDeclaration type;
    private final List<ImportDeclaration> imports;

    private SourceFile(String fileName, String packageName, ClassOrInterfaceDeclaration type, List<ImportDeclaration> imports) {
        this.fileName = fileName;
        this.packageName = packageName;
        this.type = type;
        this.imports = imports;
    }

    static SourceFile parse(String fileName, String text) {
        ParserConfiguration config = new ParserConfiguration().setLanguageLevel(ParserConfiguration.LanguageLevel.JAVA_25);
        ParseResult<CompilationUnit> result = new JavaParser(config).parse(text);
        if (!result.isSuccessful() || result.getResult().isEmpty()) {
            Problem p = result.getProblems().getFirst();
            int line = p.getLocation().flatMap(l -> l.getBegin().getRange()).map(r -> r.begin.line).orElse(1);
            throw new KernelTranslationException(fileName, line, "does not parse: " + p.getMessage().lines().findFirst().orElse(""));
        }
        CompilationUnit cu = result.getResult().get();
        String pkg = cu.getPackageDeclaration().map(d -> d.getNameAsString()).orElse("");
        String simple = fileName.endsWith(".java") ? fileName.substring(0, fileName.length() - 5) : fileName;
        ClassOrInterfaceDeclaration found = null;
        for (TypeDeclaration<?> t : cu.getTypes()) {
            if (t.getNameAsString().equals(simple) && t instanceof ClassOrInterfaceDeclaration c && !c.isInterface()) found = c;
        }
        if (found == null) throw new KernelTranslationException(fileName, 1, "declares no class " + simple);
        return new SourceFile(fileName, pkg, found, List.copyOf(cu.getImports()));
    }

    String fileName() {
        return fileName;
    }

    String packageName() {
        return packageName;
    }

    String simpleName() {
        return type.getNameAsString();
    }

    String qualifiedName() {
        return packageName.isEmpty() ? simpleName() : packageName + "." + simpleName();
    }

    ClassOrInterfaceDeclaration type() {
        return type;
    }

    KernelTranslationException error(Node at, String what) {
        return new KernelTranslationException(fileName, line(at), what);
    }

    static int line(Node n) {
        return n.getBegin().map(p -> p.line).orElse(1);
    }

    /** The static and instance methods of the class called {@code name}. */
    List<MethodDeclaration> methods(String name) {
        return type.getMethodsByName(name);
    }

    /** The field {@code name} of the class and its declaration, or null. */
    FieldMember field(String name) {
        for (FieldDeclaration f : type.getFields()) {
            for (VariableDeclarator v : f.getVariables()) {
                if (v.getNameAsString().equals(name)) return new FieldMember(this, f, v);
            }
        }
        return null;
    }

    /**
     * The dialect type a declared Java type stands for; null for {@code var}. Anything outside the
     * dialect is rejected here, where it is written.
     */
    KernelType kernelType(Type t) {
        if (t instanceof VarType) return null;
        if (t instanceof VoidType) return KernelType.VOID;
        if (t instanceof PrimitiveType p) {
            return switch (p.getType()) {
                case INT -> KernelType.INT;
                case LONG -> KernelType.LONG;
                case FLOAT -> KernelType.FLOAT;
                case BOOLEAN -> KernelType.BOOLEAN;
                case DOUBLE -> throw error(t, "double is not supported on devices (OpenCL 1.2 may lack fp64); compute in float");
                default -> throw error(t, "type " + p.asString() + " is not in the kernel dialect (int, long, float, boolean)");
            };
        }
        if (t instanceof ArrayType a && a.getArrayLevel() == 1 && a.getComponentType() instanceof PrimitiveType c) {
            if (c.getType() == PrimitiveType.Primitive.FLOAT) return KernelType.FLOAT_ARRAY;
            if (c.getType() == PrimitiveType.Primitive.INT) return KernelType.INT_ARRAY;
        }
        if (t instanceof ClassOrInterfaceType c && c.getTypeArguments().isEmpty()) {
            switch (c.getName().getIdentifier()) {
                case "F32Buffer": return KernelType.F32_BUFFER;
                case "I32Buffer": return KernelType.I32_BUFFER;
                case "U16Buffer": return KernelType.U16_BUFFER;
                case "U8Buffer": return KernelType.U8_BUFFER;
                case "KernelContext": return KernelType.CONTEXT;
                case "String": throw error(t, "strings are not supported on devices");
                default: break;
            }
        }
        throw error(t, "type " + t.asString() + " is not in the kernel dialect (int, long, float, boolean, typed buffers, arrays from ctx.localFloats/localInts)");
    }

    /** A field of a kernel class. */
    record FieldMember(SourceFile owner, FieldDeclaration declaration, VariableDeclarator variable) {}

    /**
     * The qualified name a simple class name stands for here: a single-type import, else the class of
     * that name in this file's package.
     */
    String resolveClass(String simpleName) {
        for (ImportDeclaration i : imports) {
            if (!i.isStatic() && !i.isAsterisk() && i.getName().getIdentifier().equals(simpleName)) return i.getNameAsString();
        }
        return packageName.isEmpty() ? simpleName : packageName + "." + simpleName;
    }

    /** Packages (or classes) this file imports on demand with {@code import p.*;}. */
    List<String> onDemandImports() {
        List<String> out = new ArrayList<>();
        for (ImportDeclaration i : imports) {
            if (!i.isStatic() && i.isAsterisk()) out.add(i.getNameAsString());
        }
        return out;
    }

    /** Classes whose static member {@code member} this file imports: single static imports first, then static on-demand ones. */
    List<String> staticImportOwners(String member) {
        List<String> single = new ArrayList<>();
        List<String> onDemand = new ArrayList<>();
        for (ImportDeclaration i : imports) {
            if (!i.isStatic()) continue;
            if (i.isAsterisk()) onDemand.add(i.getNameAsString());
            else if (i.getName().getIdentifier().equals(member)) i.getName().getQualifier().ifPresent(q -> single.add(q.asString()));
        }
        single.addAll(onDemand);
        return single;
    }
}
