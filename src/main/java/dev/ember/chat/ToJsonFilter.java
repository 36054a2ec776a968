package dev.ember.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;

import java.util.Map;

/**
 * transformers' {@code tojson}: {@code json.dumps(x, ensure_ascii=False, indent=indent)}. Jinjava's own writes
 * compact Jackson JSON (no spaces after separators), which changes every tool prompt.
 */
final class ToJsonFilter implements Filter {

    @Override
    public String getName() {
        return "tojson";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
        Object indent = kwargs.getOrDefault("indent", args.length > 0 ? args[0] : null);
        boolean ensureAscii = PyValues.truthy(kwargs.getOrDefault("ensure_ascii", false));
        boolean sortKeys = PyValues.truthy(kwargs.getOrDefault("sort_keys", false));
        Integer n = indent == null ? null : ((Number) indent).intValue();
        return new PyJson(n, ensureAscii, sortKeys).dumps(var);
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
        return new PyJson(args.length > 0 ? Integer.valueOf(args[0]) : null, false, false).dumps(var);
    }
}
