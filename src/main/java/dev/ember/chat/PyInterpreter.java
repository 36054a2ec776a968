package dev.ember.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.InterpreterFactory;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.TemplateError;

/**
 * Jinjava's interpreter with two jinja2 behaviours: {@code {{ x }}} prints Python's {@code str(x)} ("True", not
 * "true"), and {@code raise_exception} (and failures in our filters) stop the render at once instead of being logged as a recoverable error.
 */
final class PyInterpreter extends JinjavaInterpreter {

    /** Makes every interpreter (including those for macro bodies) a PyInterpreter. */
    static final InterpreterFactory FACTORY = new InterpreterFactory() {
        @Override
        public JinjavaInterpreter newInstance(JinjavaInterpreter orig) {
            return new PyInterpreter(orig);
        }

        @Override
        public JinjavaInterpreter newInstance(Jinjava application, Context context, JinjavaConfig config) {
            return new PyInterpreter(application, context, config);
        }
    };

    PyInterpreter(Jinjava application, Context context, JinjavaConfig config) {
        super(application, context, config);
    }

    PyInterpreter(JinjavaInterpreter orig) {
        super(orig);
    }

    @Override
    public String getAsString(Object value) {
        // null is how Jinjava represents jinja2's Undefined as well as None; Undefined prints as "".
        return value == null ? "" : PyValues.str(value);
    }

    @Override
    public void addError(TemplateError error) {
        // Jinjava logs exceptions from expressions and keeps rendering; jinja2 would stop. Stop for ours.
        Throwable cause = error == null ? null : error.getException();
        TemplateRaise raised = TemplateRaise.findIn(cause);
        if (raised != null) throw raised;
        ChatTemplateException failed = ChatTemplateException.findIn(cause);
        if (failed != null) throw failed;
        super.addError(error);
    }
}
