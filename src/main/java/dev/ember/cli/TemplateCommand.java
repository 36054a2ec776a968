package dev.ember.cli;

import dev.ember.chat.ChatTemplateException;
import dev.ember.chat.TemplateCommandSupport;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * {@code ember template}: renders a chat template for a conversation file (shaped like the entries of
 * fixtures/templates/conversations.json) and prints the prompt exactly, with no newline added.
 * A refusal by the template itself (raise_exception) exits 2 with its message.
 */
final class TemplateCommand {
    private TemplateCommand() {}

    static int run(String[] argv, PrintStream out, PrintStream err) {
        Args a = Args.parse("template", argv, 1, Set.of("--template", "--conversation", "--bos", "--eos"), Set.of());
        Path template = Path.of(a.require("--template"));
        Path conversation = Path.of(a.require("--conversation"));
        for (Path p : new Path[] {template, conversation}) {
            if (!Files.isRegularFile(p)) throw new IllegalArgumentException(p + ": no such file");
        }
        String text;
        try {
            text = TemplateCommandSupport.render(template, conversation, a.get("--bos") == null ? "" : a.get("--bos"),
                    a.get("--eos") == null ? "" : a.get("--eos"));
        } catch (ChatTemplateException e) {
            err.println("ember: template: " + e.getMessage());
            return 2;
        }
        out.print(text);
        out.flush();
        return 0;
    }
}
