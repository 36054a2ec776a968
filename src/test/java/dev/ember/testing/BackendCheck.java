package dev.ember.testing;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * The ops × backends table outside Maven (perf/gpu-check.sh runs it on a GPU machine with a carried Java
 * runtime): runs the kernel op tests ({@code dev.ember.compute.ops}), the CUDA backend's own tests
 * ({@code dev.ember.compute.cuda}: driver calls, PTX cache, launches with hand-written CUDA C), the engine on
 * each backend ({@code EngineBackendTest}) and the device parity test, and prints one table of test ×
 * backend with passed / failed / skipped counts, then each failure and skip reason. Exit code 1 when
 * anything failed.
 *
 * <p>Usage: {@code BackendCheck [ops] [cuda] [engine] [parity]} (default all).
 */
public final class BackendCheck {
    private static final Pattern BACKEND = Pattern.compile("\\b(java|opencl|cuda)\\b");

    private record Cell(int[] counts, List<String> notes) {
        Cell() {
            this(new int[3], new ArrayList<>());
        }
    }

    public static void main(String[] args) {
        List<String> parts = args.length == 0 ? List.of("ops", "cuda", "engine", "parity") : List.of(args);
        List<DiscoverySelector> selectors = new ArrayList<>();
        if (parts.contains("ops")) selectors.add(DiscoverySelectors.selectPackage("dev.ember.compute.ops"));
        if (parts.contains("cuda")) selectors.add(DiscoverySelectors.selectPackage("dev.ember.compute.cuda"));
        if (parts.contains("engine")) selectors.add(DiscoverySelectors.selectClass("dev.ember.engine.EngineBackendTest"));
        if (parts.contains("parity")) selectors.add(DiscoverySelectors.selectClass("dev.ember.model.DeviceParityTest"));
        Map<String, Map<String, Cell>> table = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        TestExecutionListener listener = new TestExecutionListener() {
            @Override
            public void executionSkipped(TestIdentifier id, String reason) {
                if (id.isTest()) record(id, 2, reason);
            }

            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (!id.isTest()) return;
                boolean ok = result.getStatus() == TestExecutionResult.Status.SUCCESSFUL;
                String why = result.getThrowable().map(Throwable::getMessage).orElse("");
                if (!ok && result.getStatus() == TestExecutionResult.Status.ABORTED) {
                    record(id, 2, why);
                    return;
                }
                record(id, ok ? 0 : 1, why);
                if (!ok) failures.add(row(id) + " " + id.getDisplayName() + ": " + why);
            }

            private void record(TestIdentifier id, int kind, String note) {
                Matcher m = BACKEND.matcher(id.getDisplayName());
                String backend = m.find() ? m.group(1) : "-";
                Cell c = table.computeIfAbsent(row(id), k -> new TreeMap<>()).computeIfAbsent(backend, k -> new Cell());
                synchronized (c) {
                    c.counts()[kind]++;
                    if (kind == 2 && note != null && !note.isEmpty() && !c.notes().contains(note)) c.notes().add(note);
                }
            }
        };
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request().selectors(selectors).build();
        Launcher launcher = LauncherFactory.create();
        launcher.execute(request, listener);
        print(System.out, table, failures);
        System.exit(failures.isEmpty() ? 0 : 1);
    }

    /** Test class and method, from the unique id's segments. */
    private static String row(TestIdentifier id) {
        String uid = id.getUniqueId();
        Matcher cls = Pattern.compile("\\[class:[\\w.]*\\.(\\w+)\\]").matcher(uid);
        Matcher method = Pattern.compile("\\[(?:test-template|method):(\\w+)\\(").matcher(uid);
        return (cls.find() ? cls.group(1) : "?") + "." + (method.find() ? method.group(1) : id.getDisplayName());
    }

    private static void print(PrintStream out, Map<String, Map<String, Cell>> table, List<String> failures) {
        // "-": tests that name no backend (the CUDA backend's own tests, which need a driver or a toolkit or neither).
        String[] backends = {"java", "opencl", "cuda", "-"};
        out.printf(Locale.ROOT, "%-58s", "test");
        for (String b : backends) out.printf(Locale.ROOT, " | %-16s", b);
        out.println();
        out.println("-".repeat(58 + 19 * backends.length));
        List<String> skips = new ArrayList<>();
        for (Map.Entry<String, Map<String, Cell>> r : table.entrySet()) {
            out.printf(Locale.ROOT, "%-58s", r.getKey());
            for (String b : backends) {
                Cell c = r.getValue().get(b);
                String text = c == null ? "" : (c.counts()[1] > 0 ? "FAIL " : "") + c.counts()[0] + " ok"
                        + (c.counts()[1] > 0 ? " " + c.counts()[1] + " failed" : "") + (c.counts()[2] > 0 ? " " + c.counts()[2] + " skip" : "");
                out.printf(Locale.ROOT, " | %-16s", text);
                if (c != null) for (String n : c.notes()) if (!skips.contains(b + ": " + n)) skips.add(b + ": " + n);
            }
            out.println();
        }
        if (!skips.isEmpty()) {
            out.println("skipped because:");
            for (String s : skips) out.println("  " + s);
        }
        if (!failures.isEmpty()) {
            out.println("failures:");
            for (String f : failures) out.println("  " + f);
        }
        out.println(failures.isEmpty() ? "RESULT: all passed" : "RESULT: " + failures.size() + " failed");
    }
}
