package dev.ember.chat;

import com.hubspot.jinjava.util.ForLoop;

import java.util.List;

/**
 * jinja2's {@code loop} object over a materialised item list, so it can offer {@code previtem}/{@code nextitem}
 * (Hermes tool templates use them), which Jinjava's iterator-based {@link ForLoop} cannot.
 */
final class PyLoop extends ForLoop {

    private final List<Object> items;

    PyLoop(List<Object> items) {
        super(items.iterator(), items.size());
        this.items = items;
    }

    /** The previous item, or null (jinja2: undefined) on the first iteration. */
    public Object getPrevitem() {
        int i = getIndex0();
        return i > 0 ? items.get(i - 1) : null;
    }

    /** The next item, or null (jinja2: undefined) on the last iteration. */
    public Object getNextitem() {
        int i = getIndex0();
        return i + 1 < items.size() ? items.get(i + 1) : null;
    }

    @Override
    public String toString() {
        return "<LoopContext " + getIndex() + "/" + getLength() + ">";
    }
}
