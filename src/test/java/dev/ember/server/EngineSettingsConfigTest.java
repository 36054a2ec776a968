package dev.ember.server;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The engine's own {@code ember.*} settings (read as system properties, README) are accepted by the server's configuration
 * check (an undeclared {@code ember.cpu.repack} made {@code serve} exit with SRCFG00050) and reach the engine: given as
 * server keys here, the server answers and the system property holds the value. The values are the defaults, so the
 * tests that share this JVM run as before.
 */
@QuarkusTest
@TestProfile(EngineSettingsConfigTest.Settings.class)
class EngineSettingsConfigTest {
    /** Where surefire points the tests' repacked-weights cache (pom.xml), so other tests in this JVM are unaffected. */
    static final String CACHE = System.getProperty("ember.cpu.repack-cache", "target/repack-cache");

    public static class Settings implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ember.cpu.repack", "true", "ember.vector.disable", "false", "ember.cpu.repack-cache", CACHE);
        }
    }

    @Test
    void engineSettingsPassTheConfigCheckAndReachTheEngine() {
        given().contentType(ContentType.JSON).body("{\"prompt\":\"Once upon a time\",\"max_tokens\":2,\"temperature\":0}")
                .post("/v1/completions").then().statusCode(200).body("choices[0].text", notNullValue());
        assertEquals("true", System.getProperty("ember.cpu.repack"));
        assertEquals("false", System.getProperty("ember.vector.disable"));
        assertEquals(CACHE, System.getProperty("ember.cpu.repack-cache"));
    }
}
