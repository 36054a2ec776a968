package dev.ember.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import com.hubspot.jinjava.objects.SafeString;

import java.util.Map;

/** {@code is iterable} as in Python: strings and dicts iterate too (Llama 3 relies on this for tool results). */
final class IsIterable implements ExpTest {

    @Override
    public String getName() {
        return "iterable";
    }

    @Override
    public boolean evaluate(Object var, JinjavaInterpreter interpreter, Object... args) {
        return var instanceof Iterable<?> || var instanceof Map<?, ?> || var instanceof CharSequence
                || var instanceof SafeString || (var != null && var.getClass().isArray());
    }
}
