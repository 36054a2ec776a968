package dev.ember.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;

import java.time.Clock;
import java.time.ZonedDateTime;

/** The globals transformers adds to every chat template: {@code raise_exception} and {@code strftime_now}. */
final class TemplateFunctions {

    /** Context key under which a render stores its clock, so {@code strftime_now} is testable. */
    static final String CLOCK_KEY = "__ember_clock__";

    private TemplateFunctions() {}

    public static Object raiseException(Object message) {
        throw new TemplateRaise(PyValues.str(message));
    }

    public static String strftimeNow(String format) {
        Clock clock = Clock.systemDefaultZone();
        JinjavaInterpreter interpreter = JinjavaInterpreter.getCurrent();
        if (interpreter != null && interpreter.getContext().get(CLOCK_KEY) instanceof Clock c) clock = c;
        return PyStrftime.format(format, ZonedDateTime.now(clock));
    }

    /** What a global function name resolves to as a variable, so {@code strftime_now is defined} holds as in jinja2. */
    record Marker(String name) {
        @Override
        public String toString() {
            return "<function " + name + ">";
        }
    }
}
