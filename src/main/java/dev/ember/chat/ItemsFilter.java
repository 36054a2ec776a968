package dev.ember.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** jinja2's {@code |items}: a mapping's {@code (key, value)} pairs in order (Jinjava has no such filter). */
final class ItemsFilter implements Filter {

    @Override
    public String getName() {
        return "items";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
        List<Object> pairs = new ArrayList<>();
        if (var instanceof Map<?, ?> m) m.forEach((k, v) -> pairs.add(new PyTuple(k, v)));
        else if (var != null) throw new ChatTemplateException("Can only get item pairs from a mapping.");
        return pairs;
    }
}
