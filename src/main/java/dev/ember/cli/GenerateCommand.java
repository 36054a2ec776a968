package dev.ember.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ember.engine.GenerationResult;
import dev.ember.engine.Generator;
import dev.ember.model.Model;
import dev.ember.sampling.SamplingParams;
import dev.ember.tokenizer.StreamingDetokenizer;
import dev.ember.tokenizer.Tokenizer;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Set;

/** {@code ember generate}: text (streamed as it is made) or, with --json, ids and text as one object. */
final class GenerateCommand {
    private GenerateCommand() {}

    static int run(String[] argv, PrintStream out, PrintStream err) {
        Args a = Args.parse("generate", argv, 1,
                Set.of("--model", "--prompt", "--max-tokens", "--temperature", "--seed", "--top-k", "--top-p", "--min-p",
                        "--repeat-penalty", "--repeat-last-n", "--presence-penalty", "--frequency-penalty", "--ctx-size",
                        "--threads", "--backend"),
                Set.of("--ignore-eos", "--json"));
        Cli.checkBackend(a);
        String prompt = a.require("--prompt");
        int maxTokens = a.getInt("--max-tokens", 128);
        SamplingParams.Builder b = SamplingParams.builder()
                .temperature(a.getFloat("--temperature", (float) SamplingParams.DEFAULT_TEMPERATURE))
                .topK(a.getInt("--top-k", SamplingParams.DEFAULT_TOP_K))
                .topP(a.getFloat("--top-p", (float) SamplingParams.DEFAULT_TOP_P))
                .minP(a.getFloat("--min-p", (float) SamplingParams.DEFAULT_MIN_P))
                .repetitionPenalty(a.getFloat("--repeat-penalty", 1.0f))
                .penaltyLastN(a.getInt("--repeat-last-n", SamplingParams.DEFAULT_PENALTY_LAST_N))
                .presencePenalty(a.getFloat("--presence-penalty", 0f))
                .frequencyPenalty(a.getFloat("--frequency-penalty", 0f));
        if (a.has("--seed")) b.seed(a.getLong("--seed", 0));
        SamplingParams params = b.build();
        boolean json = a.has("--json");

        try (Model model = Model.load(Cli.modelPath(a, err));
             Generator gen = new Generator(model, a.getInt("--ctx-size", 0), a.getInt("--threads", 0), Cli.checkBackend(a))) {
            Cli.warn(err, gen.computeWarning());
            Tokenizer tok = model.tokenizer();
            int[] promptTokens = tok.encode(prompt, true, false);
            StreamingDetokenizer detok = new StreamingDetokenizer(tok);
            StringBuilder text = new StringBuilder();
            GenerationResult r = gen.generate(promptTokens, params, maxTokens, a.has("--ignore-eos"), token -> {
                String piece = detok.feed(token);
                text.append(piece);
                if (!json) {
                    out.print(piece);
                    out.flush();
                }
            });
            String tail = detok.flush();
            text.append(tail);
            if (json) {
                ObjectMapper m = new ObjectMapper();
                ObjectNode o = m.createObjectNode();
                o.putPOJO("prompt_tokens", r.promptTokens());
                o.putPOJO("tokens", r.tokens());
                o.put("text", text.toString());
                o.put("finish_reason", r.finishReason());
                out.println(Json.write(o));
            } else {
                out.println(tail);
            }
            return 0;
        }
    }
}
