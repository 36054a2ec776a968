package dev.ember.server.kserve;

import dev.ember.server.ModelService;
import dev.ember.server.ServerMetrics;
import dev.ember.server.grpc.LongContextProfile;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A client closing its generate_stream connection cancels the engine sequence (long context, as in the gRPC test). */
@QuarkusTest
@TestProfile(LongContextProfile.class)
class KServeStreamCancellationTest {
    @TestHTTPResource("/")
    URL server;

    @Inject
    ModelService service;

    @Inject
    ServerMetrics metrics;

    @Test
    void closingTheConnectionCancelsTheGeneration() throws Exception {
        long cancelledBefore = metrics.cancelledRequests();
        String body = "{\"text_input\":\"Once upon a time\",\"parameters\":{\"max_tokens\":100000,\"temperature\":0,\"ignore_eos\":true}}";
        try (Socket socket = new Socket(server.getHost(), server.getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v2/models/stories260K-f32/generate_stream HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            assertTrue(in.readLine().startsWith("HTTP/1.1 200"));
            int events = 0;
            for (String line; events < 3 && (line = in.readLine()) != null; ) {
                if (line.contains("data: {")) {
                    assertTrue(!line.contains("finish_reason"), line);
                    events++;
                }
            }
            assertEquals(3, events);
        }
        for (int i = 0; i < 250 && (service.engine().running() > 0 || metrics.cancelledRequests() == cancelledBefore); i++) {
            TimeUnit.MILLISECONDS.sleep(20);
        }
        assertEquals(cancelledBefore + 1, metrics.cancelledRequests(), "the server saw the request cancelled, not completed");
        assertEquals(0, service.engine().running());
        assertEquals(0, service.engine().usedBlocks());
    }
}
