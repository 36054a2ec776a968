package dev.ember.chat;

import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.errorcategory.BasicTemplateErrorCategory;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.tree.Node;

import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face chat template (Jinja), rendered the way transformers' {@code apply_chat_template} renders it with
 * Python jinja2, byte for byte. Compile once per model; {@link #render} is safe to call from many threads.
 */
public final class ChatTemplate {

    private final Node root;
    private final Clock clock;

    private ChatTemplate(Node root, Clock clock) {
        this.root = root;
        this.clock = clock;
    }

    /** Parses a template whose {@code strftime_now} reads the system clock. */
    public static ChatTemplate compile(String source) {
        return compile(source, Clock.systemDefaultZone());
    }

    /** Parses a template whose {@code strftime_now} reads {@code clock} (tests pin the date). */
    public static ChatTemplate compile(String source, Clock clock) {
        JinjavaInterpreter interpreter = newInterpreter(Map.of());
        JinjavaInterpreter.pushCurrent(interpreter);
        try {
            Node root = interpreter.parse(jinja2Source(source));
            failOnErrors(interpreter, "Invalid chat template");
            return new ChatTemplate(root, clock);
        } catch (ChatTemplateException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ChatTemplateException("Invalid chat template: " + e.getMessage(), e);
        } finally {
            JinjavaInterpreter.popCurrent();
        }
    }

    /**
     * Renders a conversation. Messages and tools are plain maps and lists as Jackson reads the OpenAI JSON
     * (content may be null, tool-call arguments an object or a string); nothing passed in is modified.
     *
     * @param tools null when the request offers none (templates test {@code tools is defined} / {@code if tools})
     * @param extra further template variables (e.g. {@code enable_thinking}, {@code date_string}); may be null
     * @throws ChatTemplateException with exactly the template's message when it calls {@code raise_exception},
     *                               or describing any other render failure
     */
    public String render(List<Map<String, Object>> messages, List<Map<String, Object>> tools,
                         boolean addGenerationPrompt, String bosToken, String eosToken, Map<String, Object> extra) {
        Map<String, Object> vars = new HashMap<>();
        if (extra != null) extra.forEach((k, v) -> vars.put(k, PyValues.toTemplateValue(v)));
        vars.put("messages", PyValues.toTemplateValue(messages == null ? List.of() : messages));
        if (tools != null) vars.put("tools", PyValues.toTemplateValue(tools));
        vars.put("add_generation_prompt", addGenerationPrompt);
        vars.put("bos_token", bosToken == null ? "" : bosToken);
        vars.put("eos_token", eosToken == null ? "" : eosToken);
        vars.put(TemplateFunctions.CLOCK_KEY, clock);

        JinjavaInterpreter interpreter = newInterpreter(vars);
        JinjavaInterpreter.pushCurrent(interpreter);
        try {
            String out = interpreter.render(root);
            failOnErrors(interpreter, "Chat template failed");
            return out;
        } catch (ChatTemplateException e) {
            throw e;
        } catch (RuntimeException e) {
            TemplateRaise raised = TemplateRaise.findIn(e);
            if (raised != null) throw new ChatTemplateException(raised.getMessage());
            ChatTemplateException inner = ChatTemplateException.findIn(e);
            if (inner != null) throw inner;
            throw new ChatTemplateException("Chat template failed: " + e.getMessage(), e);
        } finally {
            JinjavaInterpreter.popCurrent();
        }
    }

    private static JinjavaInterpreter newInterpreter(Map<String, Object> vars) {
        Jinja2Environment env = Jinja2Environment.INSTANCE;
        Map<String, Object> bindings = new HashMap<>(vars);
        // jinja2 sees these as defined globals ("strftime_now is defined"); calls go to the registered functions.
        bindings.put("raise_exception", new TemplateFunctions.Marker("raise_exception"));
        bindings.put("strftime_now", new TemplateFunctions.Marker("strftime_now"));
        Context context = new Context(env.getGlobalContext(), bindings, env.getGlobalConfig().getDisabled());
        return PyInterpreter.FACTORY.newInstance(env, context, env.getGlobalConfig());
    }

    /**
     * Jinjava records most failures and carries on; jinja2 would have raised. Fatal ones, syntax errors and runaway
     * macro recursion are raised here; warnings (such as reading a missing key, which jinja2 treats as undefined) are not.
     */
    private static void failOnErrors(JinjavaInterpreter interpreter, String what) {
        for (TemplateError error : interpreter.getErrorsCopy()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL
                    || error.getReason() == TemplateError.ErrorReason.SYNTAX_ERROR
                    || error.getCategory() == BasicTemplateErrorCategory.CYCLE_DETECTED) { // runaway macro recursion
                String where = error.getLineno() > 0 ? " (line " + error.getLineno() + ")" : "";
                throw new ChatTemplateException(what + where + ": " + error.getMessage());
            }
        }
    }

    /** jinja2's lexer normalises newlines to \n and drops one trailing newline (keep_trailing_newline=False). */
    static String jinja2Source(String source) {
        String s = source.replace("\r\n", "\n").replace('\r', '\n');
        return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
    }
}
