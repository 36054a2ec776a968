package dev.ember.chat;

import jinjava.de.odysseus.el.misc.TypeConverter;
import jinjava.de.odysseus.el.tree.impl.Parser.ExtensionHandler;
import jinjava.de.odysseus.el.tree.impl.Parser.ExtensionPoint;
import jinjava.de.odysseus.el.tree.impl.ast.AstBinary;
import jinjava.de.odysseus.el.tree.impl.ast.AstNode;

/** jinja2's {@code a ~ b}: {@code str(a) + str(b)}, so {@code 'x' ~ true} is "xTrue" (Jinjava gives "xtrue"). */
final class PyConcatOperator extends AstBinary.SimpleOperator {

    static final PyConcatOperator OP = new PyConcatOperator();

    static final ExtensionHandler HANDLER = new ExtensionHandler(ExtensionPoint.ADD) {
        @Override
        public AstNode createAstNode(AstNode... children) {
            return new AstBinary(children[0], children[1], OP);
        }
    };

    @Override
    protected Object apply(TypeConverter converter, Object left, Object right) {
        return text(left) + text(right);
    }

    /** Undefined (null) concatenates as "", like it prints. */
    private static String text(Object v) {
        return v == null ? "" : PyValues.str(v);
    }

    @Override
    public String toString() {
        return "~";
    }
}
