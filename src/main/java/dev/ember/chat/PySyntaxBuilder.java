package dev.ember.chat;

import com.hubspot.jinjava.el.ExtendedSyntaxBuilder;
import jinjava.de.odysseus.el.tree.impl.Parser;

/** Jinjava's expression syntax, parsed by {@link PyParser}. */
final class PySyntaxBuilder extends ExtendedSyntaxBuilder {

    /** The JEE6 profile Jinjava's own factory gets: method calls and varargs (macros, namespace(...)). */
    PySyntaxBuilder() {
        super(Feature.METHOD_INVOCATIONS, Feature.VARARGS);
    }

    @Override
    protected Parser createParser(String expression) {
        return new PyParser(this, expression);
    }
}
