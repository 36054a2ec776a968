package dev.ember.chat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The core of {@code ./ember template --template F.jinja --conversation C.json [--bos S] [--eos S]}: reads a
 * conversation shaped like an entry of fixtures' conversations.json and renders it with a template file.
 */
public final class TemplateCommandSupport {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> RESERVED = Set.of("id", "messages", "tools", "add_generation_prompt");

    private TemplateCommandSupport() {}

    /**
     * A conversation: {@code {"messages": [...], "tools": [...]?, "add_generation_prompt": bool?, ...}}. Any other
     * key except {@code id} becomes a template variable (e.g. {@code "enable_thinking": false}).
     */
    public record Request(List<Map<String, Object>> messages, List<Map<String, Object>> tools,
                          boolean addGenerationPrompt, Map<String, Object> extra) {

        @SuppressWarnings("unchecked")
        public static Request of(Map<String, Object> conversation) {
            if (!(conversation.get("messages") instanceof List<?> messages)) {
                throw new IllegalArgumentException("conversation has no \"messages\" array");
            }
            Object tools = conversation.get("tools");
            if (tools != null && !(tools instanceof List<?>)) {
                throw new IllegalArgumentException("conversation \"tools\" must be an array");
            }
            Object agp = conversation.getOrDefault("add_generation_prompt", true);
            if (!(agp instanceof Boolean addGenerationPrompt)) {
                throw new IllegalArgumentException("conversation \"add_generation_prompt\" must be true or false");
            }
            Map<String, Object> extra = new LinkedHashMap<>();
            conversation.forEach((k, v) -> {
                if (!RESERVED.contains(k)) extra.put(k, v);
            });
            return new Request((List<Map<String, Object>>) messages, (List<Map<String, Object>>) tools,
                    addGenerationPrompt, extra);
        }

        /** Reads a conversation file: an object as above, or just the messages array. */
        public static Request read(Path conversationJson) {
            try {
                Object parsed = JSON.readValue(conversationJson.toFile(), Object.class);
                if (parsed instanceof List<?> messages) return of(Map.of("messages", messages));
                if (parsed instanceof Map<?, ?>) return of(JSON.convertValue(parsed, new TypeReference<>() {}));
                throw new IllegalArgumentException(conversationJson + ": expected a JSON object or array");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read conversation " + conversationJson, e);
            }
        }
    }

    /**
     * Renders {@code conversationJson} with {@code templateFile}. bos/eos default to "" (pass the model's strings
     * to match what the server feeds the tokenizer). Throws {@link ChatTemplateException} when the template
     * refuses the conversation.
     */
    public static String render(Path templateFile, Path conversationJson, String bosToken, String eosToken) {
        String source;
        try {
            source = Files.readString(templateFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read template " + templateFile, e);
        }
        Request r = Request.read(conversationJson);
        return ChatTemplate.compile(source).render(r.messages(), r.tools(), r.addGenerationPrompt(),
                bosToken == null ? "" : bosToken, eosToken == null ? "" : eosToken, r.extra());
    }
}
