package dev.ember.server;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Says at start-up whether the JVM runs from the AOT cache. The launcher ({@code ./ember serve}) passes
 * {@code -Dember-aot-cache=PATH} with {@code -XX:AOTCache=PATH} when the cache's stamp matches this JVM, app and
 * options, or {@code -Dember-aot-cache-ignored=REASON} when it does not. The JVM itself may still refuse a cache
 * whose stamp matched (a truncated or damaged file): it then runs without any class sharing, which
 * {@code java.vm.info} shows (it names "sharing" only while a cache or CDS archive is mapped).
 */
@ApplicationScoped
public class AotCacheReport {
    private static final Logger LOG = Logger.getLogger(AotCacheReport.class);

    /** A line to log, and whether it is a warning. */
    public record Line(boolean warning, String text) {}

    void report(@Observes StartupEvent ev) {
        describe(System.getProperty("ember-aot-cache"), System.getProperty("ember-aot-cache-ignored"), System.getProperty("java.vm.info", ""))
                .ifPresent(line -> {
                    if (line.warning()) LOG.warn(line.text());
                    else LOG.info(line.text());
                });
    }

    /** What to log for the launcher's cache path, its reason to ignore the cache, and the JVM's java.vm.info; empty when no cache was involved. */
    public static Optional<Line> describe(String cache, String ignoredReason, String vmInfo) {
        if (ignoredReason != null && !ignoredReason.isBlank()) {
            return Optional.of(new Line(true, "AOT cache ignored: " + ignoredReason + "; starting without it"));
        }
        if (cache == null || cache.isBlank()) return Optional.empty();
        if (vmInfo.contains("sharing")) return Optional.of(new Line(false, "AOT cache used: " + cache));
        return Optional.of(new Line(true, "AOT cache ignored: the JVM could not map " + cache
                + " (its [aot] messages above say why); starting without it. Remake it with ./ember aot-train"));
    }
}
