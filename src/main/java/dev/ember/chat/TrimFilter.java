package dev.ember.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;

/**
 * {@code |trim} as jinja2's {@code str.strip(chars)}: Python whitespace by default. Jinjava's strips every char
 * up to U+0020 (control characters too) and ignores the chars argument.
 */
final class TrimFilter implements Filter {

    @Override
    public String getName() {
        return "trim";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
        String chars = args.length > 0 ? args[0] : null;
        String s = var == null ? "" : PyValues.str(var);
        return PyStringMethods.rstrip(PyStringMethods.lstrip(s, chars), chars);
    }
}
