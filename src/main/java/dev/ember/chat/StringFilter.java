package dev.ember.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;

/** {@code |string} as Python's {@code str()}: True, None and dicts print the Python way, not Java's. */
final class StringFilter implements Filter {

    @Override
    public String getName() {
        return "string";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
        return PyValues.str(var);
    }
}
