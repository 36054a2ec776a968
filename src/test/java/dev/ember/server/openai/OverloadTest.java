package dev.ember.server.openai;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Past the admission limit new requests get 429 with an OpenAI error body; admitted ones still complete. */
@QuarkusTest
@TestProfile(OverloadTest.Tiny.class)
class OverloadTest {
    public static class Tiny implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ember.max-num-seqs", "1", "ember.max-queue", "1");
        }
    }

    @Test
    void excessRequestsGet429AndTheRestComplete() {
        long ok = 0, refused = 0;
        List<Thread> threads = new ArrayList<>();
        int[] codes = new int[8];
        for (int i = 0; i < 8; i++) {
            final int k = i;
            Thread t = new Thread(() -> codes[k] = given().contentType("application/json")
                    .body("{\"prompt\":\"Once upon a time\",\"max_tokens\":100,\"ignore_eos\":true}")
                    .post("/v1/completions").then().extract().statusCode());
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            try {
                t.join(60_000);
            } catch (InterruptedException e) {
                throw new RuntimeException(e);
            }
        }
        for (int c : codes) {
            if (c == 200) ok++;
            else if (c == 429) refused++;
        }
        assertTrue(ok >= 2, "admitted requests complete: " + java.util.Arrays.toString(codes));
        assertTrue(refused >= 1, "excess requests are refused with 429: " + java.util.Arrays.toString(codes));
        assertTrue(ok + refused >= 8);
        given().contentType("application/json").body("{\"prompt\":\"hi\",\"max_tokens\":1}").post("/v1/completions")
                .then().statusCode(200);
    }
}
