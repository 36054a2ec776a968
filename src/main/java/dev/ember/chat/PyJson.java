package dev.ember.chat;

import com.hubspot.jinjava.objects.SafeString;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps(x, ensure_ascii=..., indent=..., sort_keys=...)}, as transformers' {@code tojson}
 * filter calls it: separators {@code ", "} and {@code ": "} without indent, {@code ","} plus newlines with it.
 */
final class PyJson {

    private final Integer indent;      // null: single line
    private final boolean ensureAscii;
    private final boolean sortKeys;

    PyJson(Integer indent, boolean ensureAscii, boolean sortKeys) {
        this.indent = indent;
        this.ensureAscii = ensureAscii;
        this.sortKeys = sortKeys;
    }

    String dumps(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value, 0);
        return sb.toString();
    }

    private void write(StringBuilder sb, Object v, int depth) {
        switch (v) {
            case null -> sb.append("null");
            case Boolean b -> sb.append(b ? "true" : "false");
            case String s -> string(sb, s);
            case SafeString s -> string(sb, s.toString());
            case Character c -> string(sb, c.toString());
            case Double d -> sb.append(jsonFloat(d));
            case Float f -> sb.append(jsonFloat(f.doubleValue()));
            case Number n -> sb.append(n);
            case Map<?, ?> m -> object(sb, m, depth);
            case Iterable<?> it -> array(sb, it, depth);
            case Object[] arr -> array(sb, List.of(arr), depth);
            default -> throw new ChatTemplateException(
                    "Object of type " + v.getClass().getSimpleName() + " is not JSON serializable");
        }
    }

    private static String jsonFloat(double d) {
        if (Double.isNaN(d)) return "NaN";
        if (Double.isInfinite(d)) return d > 0 ? "Infinity" : "-Infinity";
        return PyFloat.repr(d);
    }

    private void object(StringBuilder sb, Map<?, ?> m, int depth) {
        if (m.isEmpty()) {
            sb.append("{}");
            return;
        }
        List<Map.Entry<?, ?>> entries = new ArrayList<>(m.entrySet());
        if (sortKeys) entries.sort((a, b) -> key(a.getKey()).compareTo(key(b.getKey())));
        sb.append('{');
        for (int i = 0; i < entries.size(); i++) {
            if (i > 0) sb.append(indent == null ? ", " : ",");
            newline(sb, depth + 1);
            string(sb, key(entries.get(i).getKey()));
            sb.append(": ");
            write(sb, entries.get(i).getValue(), depth + 1);
        }
        newline(sb, depth);
        sb.append('}');
    }

    private void array(StringBuilder sb, Iterable<?> items, int depth) {
        Iterator<?> it = items.iterator();
        if (!it.hasNext()) {
            sb.append("[]");
            return;
        }
        sb.append('[');
        boolean first = true;
        while (it.hasNext()) {
            if (!first) sb.append(indent == null ? ", " : ",");
            first = false;
            newline(sb, depth + 1);
            write(sb, it.next(), depth + 1);
        }
        newline(sb, depth);
        sb.append(']');
    }

    /** json.dumps turns non-string keys into strings the JSON way (True -> "true", None -> "null"). */
    private static String key(Object k) {
        if (k == null) return "null";
        if (k instanceof Boolean b) return b ? "true" : "false";
        if (k instanceof Double d) return jsonFloat(d);
        return k.toString();
    }

    private void newline(StringBuilder sb, int depth) {
        if (indent == null) return;
        sb.append('\n').append(" ".repeat(indent * depth));
    }

    private void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || (ensureAscii && c > 0x7e)) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }
}
