package dev.ember.compute.dsl;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/** The local variables and parameters visible at a point of a method body, block by block. */
final class Scope {
    /** A local or parameter; {@code length} is the C size of a work-group array, null when unknown. */
    record Var(String cName, KernelType type, String length) {}

    private final Deque<Map<String, Var>> blocks = new ArrayDeque<>();

    Scope() {
        push();
    }

    void push() {
        blocks.push(new HashMap<>());
    }

    void pop() {
        blocks.pop();
    }

    Var declare(String javaName, KernelType type, String length) {
        Var v = new Var(CNames.of(javaName), type, length);
        blocks.peek().put(javaName, v);
        return v;
    }

    Var find(String javaName) {
        for (Map<String, Var> block : blocks) {
            Var v = block.get(javaName);
            if (v != null) return v;
        }
        return null;
    }
}
