package dev.ember.compute.ops;

import dev.ember.compute.Backend;
import dev.ember.compute.BackendUnavailableException;
import dev.ember.compute.Backends;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Assumptions;

/**
 * The backends an ops test runs on: every name in {@link Backends#NAMES}. A backend this machine cannot
 * run is skipped with its reason. Opened backends are shared by all tests of the JVM (device contexts are
 * costly) and closed at exit.
 */
public final class TestBackends {
    private static final Map<String, Object> OPEN = new ConcurrentHashMap<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> OPEN.values().forEach(o -> {
            if (o instanceof Backend b) b.close();
        })));
    }

    private TestBackends() {}

    /** For {@code @MethodSource}: the backend names. */
    public static java.util.stream.Stream<String> names() {
        return Backends.NAMES.stream();
    }

    /** The shared backend of that name, or the test is skipped with the reason it cannot run here. */
    public static Backend get(String name) {
        Object o = OPEN.computeIfAbsent(name, n -> {
            try {
                return Backends.open(n);
            } catch (BackendUnavailableException e) {
                return e.getMessage();
            }
        });
        if (o instanceof String reason) Assumptions.abort(name + " backend unavailable: " + reason);
        return (Backend) o;
    }
}
