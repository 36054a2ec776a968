package dev.ember.chat;

import com.hubspot.jinjava.objects.SafeString;
import com.hubspot.jinjava.objects.collections.PyList;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Python {@code str} methods on template strings ({@code .startswith}, {@code .split('</think>')}, ...). Without
 * this, Jinjava would call Java's methods of the same name where they exist ({@code split} takes a regex and drops
 * trailing empty parts; {@code strip} takes no argument) and fail where they don't.
 */
final class PyStringMethods extends ELResolver {

    private static final Set<String> METHODS = Set.of("startswith", "endswith", "strip", "lstrip", "rstrip",
            "split", "rsplit", "upper", "lower", "title", "capitalize", "replace", "find", "rfind", "count",
            "join", "isdigit", "isspace", "isalpha", "isalnum", "isupper", "islower", "splitlines");

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] types, Object[] params) {
        String s = base instanceof String str ? str : base instanceof SafeString ss ? ss.toString() : null;
        if (s == null || method == null || !METHODS.contains(method.toString())) return null;
        Object[] a = params == null ? new Object[0] : params;
        Object result = call(s, method.toString(), a);
        context.setPropertyResolved(true);
        return result;
    }

    private static Object call(String s, String method, Object[] a) {
        return switch (method) {
            case "startswith" -> anyAffix(a, 0, p -> s.startsWith(p));
            case "endswith" -> anyAffix(a, 0, p -> s.endsWith(p));
            case "strip" -> rstrip(lstrip(s, arg(a, 0)), arg(a, 0));
            case "lstrip" -> lstrip(s, arg(a, 0));
            case "rstrip" -> rstrip(s, arg(a, 0));
            case "split" -> split(s, arg(a, 0), a.length > 1 ? ((Number) a[1]).intValue() : -1);
            case "rsplit" -> rsplit(s, arg(a, 0), a.length > 1 ? ((Number) a[1]).intValue() : -1);
            case "upper" -> s.toUpperCase(Locale.ROOT);
            case "lower" -> s.toLowerCase(Locale.ROOT);
            case "title" -> title(s);
            case "capitalize" -> s.isEmpty() ? s
                    : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
            case "replace" -> replace(s, PyValues.str(a[0]), PyValues.str(a[1]),
                    a.length > 2 ? ((Number) a[2]).intValue() : -1);
            case "find" -> (long) s.indexOf(PyValues.str(a[0]));
            case "rfind" -> (long) s.lastIndexOf(PyValues.str(a[0]));
            case "count" -> count(s, PyValues.str(a[0]));
            case "join" -> join(s, a[0]);
            case "isdigit" -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
            case "isspace" -> !s.isEmpty() && s.chars().allMatch(PyStringMethods::isSpace);
            case "isalpha" -> !s.isEmpty() && s.chars().allMatch(Character::isLetter);
            case "isalnum" -> !s.isEmpty() && s.chars().allMatch(Character::isLetterOrDigit);
            case "isupper" -> s.chars().anyMatch(Character::isLetter) && s.equals(s.toUpperCase(Locale.ROOT));
            case "islower" -> s.chars().anyMatch(Character::isLetter) && s.equals(s.toLowerCase(Locale.ROOT));
            case "splitlines" -> new PyList(new ArrayList<>(s.lines().toList()));
            default -> throw new IllegalStateException(method);
        };
    }

    /** Optional string argument; None means "default" as in Python. */
    private static String arg(Object[] a, int i) {
        return a.length > i && a[i] != null ? PyValues.str(a[i]) : null;
    }

    /** startswith/endswith accept a string or a tuple/list of strings. */
    private static boolean anyAffix(Object[] a, int i, java.util.function.Predicate<String> test) {
        if (a[i] instanceof Iterable<?> options) {
            for (Object o : options) if (test.test(PyValues.str(o))) return true;
            return false;
        }
        return test.test(PyValues.str(a[i]));
    }

    /** Python's str.isspace for one character. */
    static boolean isSpace(int c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x85 || (c >= 0x1c && c <= 0x1f);
    }

    private static boolean strippable(int c, String chars) {
        return chars == null ? isSpace(c) : chars.indexOf(c) >= 0;
    }

    static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length() && strippable(s.charAt(i), chars)) i++;
        return s.substring(i);
    }

    static String rstrip(String s, String chars) {
        int j = s.length();
        while (j > 0 && strippable(s.charAt(j - 1), chars)) j--;
        return s.substring(0, j);
    }

    private static PyList split(String s, String sep, int maxsplit) {
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            // Whitespace mode: runs of whitespace separate, no empty strings at either end.
            int i = 0, n = s.length();
            while (true) {
                while (i < n && isSpace(s.charAt(i))) i++;
                if (i >= n) break;
                if (maxsplit >= 0 && out.size() == maxsplit) {
                    out.add(rstrip(s.substring(i), null));
                    break;
                }
                int j = i;
                while (j < n && !isSpace(s.charAt(j))) j++;
                out.add(s.substring(i, j));
                i = j;
            }
            return new PyList(out);
        }
        if (sep.isEmpty()) throw new ChatTemplateException("empty separator");
        int from = 0;
        while (maxsplit < 0 || out.size() < maxsplit) {
            int at = s.indexOf(sep, from);
            if (at < 0) break;
            out.add(s.substring(from, at));
            from = at + sep.length();
        }
        out.add(s.substring(from));
        return new PyList(out);
    }

    private static PyList rsplit(String s, String sep, int maxsplit) {
        if (maxsplit < 0 || sep == null) return split(s, sep, maxsplit); // same result when unbounded
        List<Object> out = new ArrayList<>();
        if (sep.isEmpty()) throw new ChatTemplateException("empty separator");
        int end = s.length();
        while (out.size() < maxsplit) {
            int at = s.lastIndexOf(sep, end - sep.length());
            if (at < 0) break;
            out.addFirst(s.substring(at + sep.length(), end));
            end = at;
        }
        out.addFirst(s.substring(0, end));
        return new PyList(out);
    }

    private static String replace(String s, String old, String repl, int count) {
        if (count < 0) return s.replace(old, repl);
        StringBuilder sb = new StringBuilder();
        int from = 0;
        for (int n = 0; n < count; n++) {
            int at = s.indexOf(old, from);
            if (at < 0) break;
            sb.append(s, from, at).append(repl);
            from = at + old.length();
            if (old.isEmpty()) {
                if (from >= s.length()) break;
                sb.append(s.charAt(from++));
            }
        }
        return sb.append(s.substring(from)).toString();
    }

    private static long count(String s, String sub) {
        if (sub.isEmpty()) return s.length() + 1;
        long n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) n++;
        return n;
    }

    private static String join(String sep, Object items) {
        StringBuilder sb = new StringBuilder();
        Iterator<?> it = items instanceof Iterable<?> list ? list.iterator() : List.of().iterator();
        while (it.hasNext()) {
            sb.append(PyValues.str(it.next()));
            if (it.hasNext()) sb.append(sep);
        }
        return sb.toString();
    }

    /** Python title(): uppercase after any non-letter, lowercase otherwise. */
    private static String title(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean prevLetter = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            sb.append(prevLetter ? Character.toLowerCase(c) : Character.toUpperCase(c));
            prevLetter = Character.isLetter(c);
        }
        return sb.toString();
    }

    // Property access is left to Jinjava's resolvers; this one only answers method calls.
    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {}

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
