package dev.ember.chat;

import com.hubspot.jinjava.el.ext.AdditionOperator;
import com.hubspot.jinjava.objects.SafeString;
import jinjava.de.odysseus.el.misc.TypeConverter;

/**
 * {@code +} as in Python: a string only adds to a string. Jinjava would render {@code 'x' + none} as "xnull";
 * jinja2 raises (TypeError for None, UndefinedError for a missing value), so this refuses too.
 */
final class PyAddOperator extends AdditionOperator {

    static final PyAddOperator OP = new PyAddOperator();

    @Override
    protected Object apply(TypeConverter converter, Object left, Object right) {
        boolean ls = isString(left), rs = isString(right);
        if (ls && rs) return left.toString() + right;
        if (ls || rs) {
            Object other = ls ? right : left;
            throw new ChatTemplateException("Chat template failed: can only concatenate str (not \""
                    + typeName(other) + "\") to str");
        }
        return super.apply(converter, left, right);
    }

    private static boolean isString(Object v) {
        return v instanceof String || v instanceof SafeString;
    }

    /** Python's type name for the common cases; null stands for both None and an undefined value. */
    private static String typeName(Object v) {
        return switch (v) {
            case null -> "NoneType";
            case Boolean b -> "bool";
            case Double d -> "float";
            case Float f -> "float";
            case Number n -> "int";
            case java.util.Map<?, ?> m -> "dict";
            case java.util.List<?> l -> "list";
            default -> v.getClass().getSimpleName();
        };
    }
}
