package dev.ember.chat;

import java.util.AbstractList;

/** An immutable Python tuple, e.g. a {@code (key, value)} pair from {@code |items}; unpacks like a list. */
final class PyTuple extends AbstractList<Object> {

    private final Object[] values;

    PyTuple(Object... values) {
        this.values = values.clone();
    }

    @Override
    public Object get(int index) {
        return values[index];
    }

    @Override
    public int size() {
        return values.length;
    }
}
