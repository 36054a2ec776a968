package dev.ember.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.el.TruthyTypeConverter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import jinjava.de.odysseus.el.ExpressionFactoryImpl;
import jinjava.de.odysseus.el.tree.TreeStore;
import jinjava.de.odysseus.el.tree.impl.Cache;
import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ExpressionFactory;

import java.lang.reflect.Method;
import java.util.Set;

/**
 * The one Jinjava instance, configured like transformers' {@code ImmutableSandboxedEnvironment(trim_blocks=True,
 * lstrip_blocks=True)} with {@code loopcontrols}, plus the pieces of jinja2 Jinjava lacks or does differently.
 */
final class Jinja2Environment extends Jinjava {

    static final Jinja2Environment INSTANCE = new Jinja2Environment();

    private final ExpressionFactory expressions =
            new ExpressionFactoryImpl(new TreeStore(new PySyntaxBuilder(), new Cache(2000)), new TruthyTypeConverter());

    private Jinja2Environment() {
        super(config());
        var globals = getGlobalContext();
        globals.registerFilter(new ToJsonFilter());
        globals.registerFilter(new StringFilter());
        globals.registerFilter(new ItemsFilter());
        globals.registerFilter(new TrimFilter());
        globals.registerFilter(new LengthFilter());
        globals.registerExpTest(new IsIterable());
        globals.registerTag(new PyForTag());
        globals.registerFunction(function("raise_exception", "raiseException", Object.class));
        globals.registerFunction(function("strftime_now", "strftimeNow", String.class));
    }

    private static JinjavaConfig config() {
        // Opt into jinja2's behaviour: filters bind tighter than '+', '-' whitespace control on expressions and
        // comments, backslash escapes in string literals, dict literal keys evaluated, dicts iterate their keys.
        // (whitespaceRequiredWithinTokens stays off: jinja2 accepts "{{'x'}}" and "{%-if%}".)
        LegacyOverrides jinja2 = LegacyOverrides.newBuilder()
                .withEvaluateMapKeys(true)
                .withIterateOverMapKeys(true)
                .withUsePyishObjectMapper(true)
                .withUseSnakeCasePropertyNaming(true)
                .withUseNaturalOperatorPrecedence(true)
                .withParseWhitespaceControlStrictly(true)
                .withAllowAdjacentTextNodes(true)
                .withUseTrimmingForNotesAndExpressions(true)
                .withKeepNullableLoopValues(true)
                .withHandleBackslashInQuotesOnly(true)
                .withDefaultKeepTrailingNewlineBehavior(false)
                .build();
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PyStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        return JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                // jinja2 drops one trailing newline of the *source*; ChatTemplate does that, so keep the output whole.
                .withKeepTrailingNewline(true)
                .withLegacyOverrides(jinja2)
                .withEnableRecursiveMacroCalls(true) // Hermes' json_to_python_type calls itself
                .withMaxMacroRecursionDepth(256)
                .withElResolver(resolver)
                // ImmutableSandboxedEnvironment: templates may not modify lists and dicts.
                .withRestrictedMethods(Set.of("append", "extend", "insert", "pop", "remove", "clear", "sort",
                        "reverse", "update", "setdefault", "popitem", "put", "putAll", "add", "addAll", "set",
                        "removeAll", "retainAll", "replaceAll", "merge", "compute", "computeIfAbsent"))
                .withInterperterFactory(PyInterpreter.FACTORY)
                .build();
    }

    private static ELFunctionDefinition function(String name, String method, Class<?> param) {
        try {
            Method m = TemplateFunctions.class.getMethod(method, param);
            m.setAccessible(true); // the holder class is package-private; the EL calls it reflectively
            return new ELFunctionDefinition("", name, m);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Jinjava builds its expression factory with a fixed parser; this one understands Python slices. */
    @Override
    public ExpressionFactory getExpressionFactory() {
        return expressions;
    }
}
