package dev.ember.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.tag.ForTag;
import com.hubspot.jinjava.objects.SafeString;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import com.hubspot.jinjava.tree.parse.TagToken;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code {% for %}} with jinja2 semantics Jinjava lacks: the {@code for x in xs if cond} filter (Mistral's tool
 * listing), {@code loop.previtem}/{@code loop.nextitem}, and iterating a dict over its keys.
 */
final class PyForTag extends ForTag {

    @Override
    public String interpretUnchecked(TagNode tagNode, JinjavaInterpreter interpreter) {
        var varsAndExpr = getLoopVarsAndExpression((TagToken) tagNode.getMaster());
        List<String> vars = varsAndExpr.getLeft();
        String expr = varsAndExpr.getRight();
        int ifAt = topLevelIf(expr);
        String filter = ifAt < 0 ? null : expr.substring(ifAt + 4).trim();
        if (ifAt >= 0) expr = expr.substring(0, ifAt).trim();

        List<Object> items = materialise(interpreter.resolveELExpression(expr, tagNode.getLineNumber()));
        StringBuilder out = new StringBuilder();
        try (var scope = interpreter.enterScope()) {
            if (filter != null) {
                // jinja2 filters before counting, so loop.index/length/last see only the kept items.
                List<Object> kept = new ArrayList<>();
                for (Object item : items) {
                    bind(interpreter, vars, item);
                    if (PyValues.truthy(interpreter.resolveELExpression(filter, tagNode.getLineNumber()))) {
                        kept.add(item);
                    }
                }
                items = kept;
            }
            PyLoop loop = new PyLoop(items);
            interpreter.getContext().put(LOOP, loop);
            while (loop.hasNext()) {
                bind(interpreter, vars, loop.next());
                for (Node node : tagNode.getChildren()) {
                    out.append(node.render(interpreter).getValue());
                    if (loop.isContinued()) break; // {% continue %} / {% break %} skip the rest of the body
                }
            }
        }
        return out.toString();
    }

    /** Index of the first {@code if} keyword outside brackets and string literals, or -1. */
    static int topLevelIf(String expr) {
        int depth = 0;
        char quote = 0;
        for (int i = 0; i < expr.length(); i++) {
            char c = expr.charAt(i);
            if (quote != 0) {
                if (c == '\\') i++;
                else if (c == quote) quote = 0;
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            } else if (depth == 0 && expr.startsWith(" if ", i)) {
                return i;
            }
        }
        return -1;
    }

    /** What Python's iter() yields: dict keys, string characters, sequence items; None iterates nothing. */
    private static List<Object> materialise(Object collection) {
        List<Object> items = new ArrayList<>();
        switch (collection) {
            case null -> { }
            case Map<?, ?> m -> items.addAll(m.keySet());
            case Iterable<?> it -> it.forEach(items::add);
            case Object[] arr -> items.addAll(List.of(arr));
            case CharSequence s -> s.codePoints().forEach(cp -> items.add(Character.toString(cp)));
            case SafeString s -> s.toString().codePoints().forEach(cp -> items.add(Character.toString(cp)));
            default -> throw new ChatTemplateException(
                    "'" + collection.getClass().getSimpleName() + "' object is not iterable");
        }
        return items;
    }

    /** Assigns the loop target(s), unpacking (key, value) pairs and sequences for {@code for a, b in ...}. */
    private static void bind(JinjavaInterpreter interpreter, List<String> vars, Object item) {
        if (vars.size() == 1) {
            interpreter.getContext().put(vars.getFirst(), item);
            return;
        }
        List<Object> parts = switch (item) {
            case Map.Entry<?, ?> e -> java.util.Arrays.asList(e.getKey(), e.getValue());
            case List<?> l -> new ArrayList<>(l);
            case null, default -> throw new ChatTemplateException("cannot unpack non-sequence into " + vars);
        };
        if (parts.size() != vars.size()) {
            throw new ChatTemplateException("cannot unpack " + parts.size() + " values into " + vars.size());
        }
        for (int i = 0; i < vars.size(); i++) interpreter.getContext().put(vars.get(i), parts.get(i));
    }
}
