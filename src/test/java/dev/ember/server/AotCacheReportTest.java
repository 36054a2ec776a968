package dev.ember.server;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AotCacheReportTest {
    @Test
    void aMappedCacheIsReportedAsUsed() {
        AotCacheReport.Line line = AotCacheReport.describe("/app/ember.aot", null, "mixed mode, sharing").orElseThrow();
        assertFalse(line.warning());
        assertEquals("AOT cache used: /app/ember.aot", line.text());
    }

    @Test
    void aCacheTheJvmRefusedIsReportedAsIgnored() {
        // The JVM runs with no class sharing at all when it cannot map the cache it was given.
        AotCacheReport.Line line = AotCacheReport.describe("/app/ember.aot", null, "mixed mode").orElseThrow();
        assertTrue(line.warning());
        assertTrue(line.text().startsWith("AOT cache ignored: the JVM could not map /app/ember.aot"), line.text());
    }

    @Test
    void theLaunchersReasonWins() {
        AotCacheReport.Line line = AotCacheReport.describe(null, "the app changed since it was made", "mixed mode, sharing").orElseThrow();
        assertTrue(line.warning());
        assertEquals("AOT cache ignored: the app changed since it was made; starting without it", line.text());
    }

    @Test
    void nothingIsLoggedWithoutACache() {
        assertTrue(AotCacheReport.describe(null, null, "mixed mode, sharing").isEmpty());
        assertTrue(AotCacheReport.describe("", " ", "mixed mode").isEmpty());
    }
}
