package dev.ember.chat;

import com.hubspot.jinjava.objects.SafeString;
import com.hubspot.jinjava.objects.collections.PyList;
import com.hubspot.jinjava.objects.collections.PyMap;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Python's view of template values: {@code str()}, {@code repr()}, and conversion of caller data to dict/list. */
final class PyValues {

    private PyValues() {}

    /** Python {@code str(x)}, which is what {@code {{ x }}} prints in jinja2 (None prints as "None"). */
    static String str(Object v) {
        if (v == null) return "None";
        if (v instanceof String s) return s;
        if (v instanceof SafeString s) return s.toString();
        if (v instanceof Character c) return c.toString();
        return repr(v);
    }

    /** Python {@code repr(x)}: how values print inside lists and dicts. */
    static String repr(Object v) {
        if (v == null) return "None";
        if (v instanceof Boolean b) return b ? "True" : "False";
        if (v instanceof String || v instanceof SafeString || v instanceof Character) return quote(v.toString());
        if (v instanceof Double || v instanceof Float) return PyFloat.repr(((Number) v).doubleValue());
        if (v instanceof Number n) return n.toString();
        if (v instanceof Map<?, ?> m) {
            StringBuilder sb = new StringBuilder("{");
            Iterator<? extends Map.Entry<?, ?>> it = m.entrySet().iterator();
            while (it.hasNext()) {
                Map.Entry<?, ?> e = it.next();
                sb.append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
                if (it.hasNext()) sb.append(", ");
            }
            return sb.append('}').toString();
        }
        if (v instanceof PyTuple t) {
            String inner = repr(List.copyOf(t));
            return "(" + inner.substring(1, inner.length() - 1) + (t.size() == 1 ? ",)" : ")");
        }
        if (v instanceof Iterable<?> list) {
            StringBuilder sb = new StringBuilder("[");
            Iterator<?> it = list.iterator();
            while (it.hasNext()) {
                sb.append(repr(it.next()));
                if (it.hasNext()) sb.append(", ");
            }
            return sb.append(']').toString();
        }
        if (v instanceof Object[] arr) return repr(List.of(arr));
        return v.toString();
    }

    /** Python's string repr: single quotes unless the text has a ' and no ". */
    private static String quote(String s) {
        char q = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        StringBuilder sb = new StringBuilder().append(q);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c == q) sb.append('\\').append(c);
                    else if (c < 0x20 || c == 0x7f) sb.append(String.format("\\x%02x", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.append(q).toString();
    }

    /** Python truthiness: empty strings, collections and zero are false. */
    static boolean truthy(Object v) {
        if (v == null) return false;
        if (v instanceof Boolean b) return b;
        if (v instanceof CharSequence s) return !s.isEmpty();
        if (v instanceof SafeString s) return !s.toString().isEmpty();
        if (v instanceof Number n) return n.doubleValue() != 0;
        if (v instanceof Map<?, ?> m) return !m.isEmpty();
        if (v instanceof java.util.Collection<?> c) return !c.isEmpty();
        return true;
    }

    /**
     * Deep-copies caller data into the dict/list types templates expect ({@code .items()}, {@code .get(k, d)},
     * {@code .append}); the copy also keeps a template's {@code set}s from reaching the caller's maps.
     */
    static Object toTemplateValue(Object v) {
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, val) -> out.put(String.valueOf(k), toTemplateValue(val)));
            return new PyMap(out);
        }
        if (v instanceof Iterable<?> it && !(v instanceof PyMap)) {
            List<Object> out = new ArrayList<>();
            it.forEach(x -> out.add(toTemplateValue(x)));
            return new PyList(out);
        }
        if (v instanceof Object[] arr) return toTemplateValue(List.of(arr));
        return v;
    }
}
