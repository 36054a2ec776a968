package dev.ember.chat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@code ./ember template} renders a conversations.json-shaped file with a template file. */
class TemplateCommandSupportTest {

    @Test
    void rendersAConversationFileWithATemplateFile(@TempDir Path dir) throws IOException {
        Path conversation = dir.resolve("c.json");
        Files.writeString(conversation, """
                {"id": "x", "add_generation_prompt": false, "greeting": "Hi",
                 "messages": [{"role": "user", "content": "Say hi."}, {"role": "assistant", "content": null}]}
                """);
        Path template = dir.resolve("t.jinja");
        Files.writeString(template, "{{ bos_token }}{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}"
                + "{% if add_generation_prompt %}<assistant>{% endif %}{{ greeting }}{{ eos_token }}\n");
        assertEquals("<s><user>Say hi.<assistant>Hi</s>", TemplateCommandSupport.render(template, conversation, "<s>", "</s>"));
    }

    @Test
    void surfacesTheTemplatesRefusal() throws IOException {
        Path templates = ChatTemplateFixturesTest.templates();
        Path conversation = Files.createTempFile("system", ".json");
        try {
            Files.writeString(conversation, "[{\"role\": \"system\", \"content\": \"x\"}]", StandardCharsets.UTF_8);
            ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> TemplateCommandSupport.render(
                    templates.resolve("google-gemma-2-2b-it.jinja"), conversation, "<bos>", "<eos>"));
            assertEquals("System role not supported", e.getMessage());
        } finally {
            Files.delete(conversation);
        }
    }
}
