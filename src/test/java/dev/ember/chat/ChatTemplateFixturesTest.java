package dev.ember.chat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ember.testing.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every (template, conversation) row of templates/expected/index.json renders byte-identically to Python jinja2,
 * or refuses with the template's own message, under the settings of fixtures README section 4a.
 */
class ChatTemplateFixturesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** README 4a: strftime_now returned "26 Nov 2026" and date_string was "26 Nov 2026". */
    static final Clock FIXTURE_DAY =
            Clock.fixed(LocalDate.of(2026, 11, 26).atStartOfDay().toInstant(ZoneOffset.UTC), ZoneOffset.UTC);
    /** Python's exception class name, which index.json puts before the template's message. */
    private static final String PYTHON_ERROR_PREFIX = "TemplateError: ";

    static Path templates() {
        return Fixtures.root().resolve("templates");
    }

    static Stream<Arguments> rows() throws IOException {
        List<Map<String, Object>> index = JSON.readValue(templates().resolve("expected/index.json").toFile(),
                new TypeReference<>() {});
        return index.stream().map(row -> Arguments.of(row.get("template") + " x " + row.get("conversation"), row));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void rendersLikeJinja2OrRefusesWithTheTemplatesMessage(String name, Map<String, Object> row) throws IOException {
        String source = Files.readString(templates().resolve((String) row.get("template")), StandardCharsets.UTF_8);
        Map<String, Object> conversation = conversation((String) row.get("conversation"));
        ChatTemplate template = ChatTemplate.compile(source, FIXTURE_DAY);
        TemplateCommandSupport.Request request = TemplateCommandSupport.Request.of(conversation);
        Map<String, Object> extra = new java.util.HashMap<>(request.extra());
        extra.put("date_string", "26 Nov 2026");
        String bos = (String) row.get("bos_token"), eos = (String) row.get("eos_token");

        if (row.get("error") instanceof String error) {
            ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> template.render(
                    request.messages(), request.tools(), request.addGenerationPrompt(), bos, eos, extra));
            String expected = error.startsWith(PYTHON_ERROR_PREFIX) ? error.substring(PYTHON_ERROR_PREFIX.length()) : error;
            assertEquals(expected, e.getMessage());
            return;
        }
        String actual = template.render(
                request.messages(), request.tools(), request.addGenerationPrompt(), bos, eos, extra);
        byte[] expected = Files.readAllBytes(templates().resolve("expected").resolve((String) row.get("expected")));
        assertSameBytes(expected, actual.getBytes(StandardCharsets.UTF_8));
    }

    @org.junit.jupiter.api.Test
    void oneCompiledTemplateRendersConcurrentlyWithTheSameResult() throws Exception {
        String source = Files.readString(templates().resolve("Qwen-Qwen3-0.6B.jinja"), StandardCharsets.UTF_8);
        ChatTemplate template = ChatTemplate.compile(source, FIXTURE_DAY);
        TemplateCommandSupport.Request r = TemplateCommandSupport.Request.of(conversation("tool_call_roundtrip"));
        String expected = template.render(r.messages(), r.tools(), true, "", "<|im_end|>", null);
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(4)) {
            var futures = new java.util.ArrayList<java.util.concurrent.Future<String>>();
            for (int i = 0; i < 64; i++) {
                futures.add(pool.submit(() -> template.render(r.messages(), r.tools(), true, "", "<|im_end|>", null)));
            }
            for (var f : futures) assertEquals(expected, f.get());
        }
    }

    static Map<String, Object> conversation(String id) throws IOException {
        List<Map<String, Object>> all = JSON.readValue(templates().resolve("conversations.json").toFile(),
                new TypeReference<>() {});
        return all.stream().filter(c -> id.equals(c.get("id"))).findFirst()
                .orElseThrow(() -> new AssertionError("no conversation " + id));
    }

    /** Byte comparison that reports the first differing offset with the text around it. */
    static void assertSameBytes(byte[] expected, byte[] actual) {
        int n = Math.min(expected.length, actual.length);
        int at = 0;
        while (at < n && expected[at] == actual[at]) at++;
        if (at == n && expected.length == actual.length) return;
        fail("renderings differ at byte " + at + " (expected " + expected.length + " bytes, got " + actual.length
                + ")\n--- expected around it:\n" + around(expected, at) + "\n--- actual around it:\n" + around(actual, at));
    }

    private static String around(byte[] b, int at) {
        int from = Math.max(0, at - 60), to = Math.min(b.length, at + 60);
        String before = new String(b, from, Math.max(0, Math.min(at, b.length) - from), StandardCharsets.UTF_8);
        String after = at < b.length ? new String(b, at, to - at, StandardCharsets.UTF_8) : "";
        return (before + "⟦HERE⟧" + after).replace("\n", "⏎\n");
    }
}
