package dev.ember.chat;

import com.hubspot.jinjava.el.ext.AstRangeBracket;
import com.hubspot.jinjava.objects.SafeString;
import com.hubspot.jinjava.objects.collections.PyList;
import jinjava.de.odysseus.el.tree.Bindings;
import jinjava.de.odysseus.el.tree.impl.ast.AstNode;
import jinjava.javax.el.ELContext;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code seq[start:stop:step]} with Python's slice rules (clamping, negative indices, negative steps), e.g. Qwen3's
 * {@code messages[::-1]}. Jinjava's own range bracket has no step and cannot even parse {@code ::}.
 */
final class AstSlice extends AstRangeBracket {

    private final AstNode step;

    AstSlice(AstNode base, AstNode start, AstNode stop, AstNode step, boolean lvalue, boolean strict) {
        super(base, start, stop, lvalue, strict, false);
        this.step = step;
    }

    @Override
    public Object eval(Bindings bindings, ELContext context) {
        Object base = prefix.eval(bindings, context);
        Integer start = index(property, bindings, context);
        Integer stop = index(rangeMax, bindings, context);
        Integer by = index(step, bindings, context);
        return switch (base) {
            case String s -> sliceString(s, start, stop, by);
            case SafeString s -> sliceString(s.toString(), start, stop, by);
            case Iterable<?> it -> {
                List<Object> items = new ArrayList<>();
                it.forEach(items::add);
                yield new PyList(slice(items, start, stop, by));
            }
            case Object[] arr -> new PyList(slice(List.of(arr), start, stop, by));
            case null -> throw new ChatTemplateException("cannot slice an undefined value: " + prefix);
            default -> throw new ChatTemplateException(
                    "'" + base.getClass().getSimpleName() + "' object is not subscriptable");
        };
    }

    private static Integer index(AstNode node, Bindings bindings, ELContext context) {
        if (node == null) return null;
        Object v = node.eval(bindings, context);
        if (v == null) return null; // x[None:] means the default, as in Python
        if (!(v instanceof Number n)) throw new ChatTemplateException("slice indices must be integers or None");
        return n.intValue();
    }

    private static String sliceString(String s, Integer start, Integer stop, Integer step) {
        List<Object> cps = new ArrayList<>();
        s.codePoints().forEach(cp -> cps.add(Character.toString(cp)));
        StringBuilder sb = new StringBuilder();
        for (Object c : slice(cps, start, stop, step)) sb.append(c);
        return sb.toString();
    }

    /** Python's slice.indices() followed by the walk. */
    static List<Object> slice(List<Object> items, Integer start, Integer stop, Integer stepOrNull) {
        int n = items.size();
        int step = stepOrNull == null ? 1 : stepOrNull;
        if (step == 0) throw new ChatTemplateException("slice step cannot be zero");
        int lo = step > 0 ? 0 : -1, hi = step > 0 ? n : n - 1;
        int from = start == null ? (step > 0 ? lo : hi) : clamp(start, n, lo, hi);
        int to = stop == null ? (step > 0 ? hi : lo) : clamp(stop, n, lo, hi);
        List<Object> out = new ArrayList<>();
        for (int i = from; step > 0 ? i < to : i > to; i += step) out.add(items.get(i));
        return out;
    }

    private static int clamp(int i, int n, int lo, int hi) {
        if (i < 0) i += n;
        return Math.max(lo, Math.min(hi, i));
    }
}
