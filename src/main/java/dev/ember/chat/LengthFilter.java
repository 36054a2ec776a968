package dev.ember.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.objects.SafeString;

/** {@code |length} counting a string's code points as Python's len() does, not UTF-16 units (emoji count once). */
final class LengthFilter extends com.hubspot.jinjava.lib.filter.LengthFilter {

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
        if (var instanceof String || var instanceof SafeString) {
            String s = var.toString();
            return s.codePointCount(0, s.length());
        }
        return super.filter(var, interpreter, args);
    }
}
