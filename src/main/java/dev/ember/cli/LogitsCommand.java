package dev.ember.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ember.engine.Generator;
import dev.ember.model.Model;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Set;

/**
 * {@code ember logits}: per prompt position the top 20 [id, logit] pairs and the full logits of the last
 * position, in the shape of the fixtures' reference files (tokens, logits_top, logits_full_last).
 */
final class LogitsCommand {
    static final int TOP = 20;

    private LogitsCommand() {}

    static int run(String[] argv, PrintStream out, PrintStream err) {
        Args a = Args.parse("logits", argv, 1, Set.of("--model", "--prompt", "--tokens", "--threads", "--backend", "--ctx-size"),
                Set.of("--json"));
        Cli.checkBackend(a);
        if (a.has("--prompt") == a.has("--tokens")) throw new Args.UsageException("logits: give exactly one of --prompt and --tokens");
        Path path = Cli.modelPath(a, err);
        try (Model model = Model.load(path);
             Generator gen = new Generator(model, a.getInt("--ctx-size", 0), a.getInt("--threads", 0), Cli.checkBackend(a))) {
            int[] tokens = a.has("--tokens") ? a.getInts("--tokens") : model.tokenizer().encode(a.get("--prompt"), true, false);
            int vocab = model.config().vocabSize();
            float[] logits = gen.promptLogits(tokens, true); // [positions, vocab]
            ObjectNode o = Json.mapper().createObjectNode();
            o.put("model", path.getFileName().toString());
            if (a.has("--prompt")) o.put("prompt", a.get("--prompt"));
            o.putPOJO("tokens", tokens);
            ArrayNode tops = o.putArray("logits_top");
            for (int p = 0; p < tokens.length; p++) {
                ArrayNode row = tops.addArray();
                for (int id : topK(logits, p * vocab, vocab, Math.min(TOP, vocab))) {
                    row.addArray().add(id).add(logits[p * vocab + id]);
                }
            }
            ArrayNode last = o.putArray("logits_full_last");
            for (int i = 0; i < vocab; i++) last.add(logits[(tokens.length - 1) * vocab + i]);
            out.println(Json.write(o));
            return 0;
        }
    }

    /** Ids of the k largest of a[off, off + n), largest first, ties to the lower id. */
    static int[] topK(float[] a, int off, int n, int k) {
        int[] best = new int[k];
        int count = 0;
        for (int i = 0; i < n; i++) {
            float v = a[off + i];
            if (count == k && v <= a[off + best[k - 1]]) continue;
            int j = Math.min(count, k - 1);
            while (j > 0 && a[off + best[j - 1]] < v) {
                best[j] = best[j - 1];
                j--;
            }
            best[j] = i;
            if (count < k) count++;
        }
        return best;
    }
}
