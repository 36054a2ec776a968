package dev.ember.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ember.gguf.GgufFile;
import dev.ember.tokenizer.Tokenizer;

import java.io.PrintStream;
import java.util.Set;

/**
 * {@code ember tokenize}: token ids of a text. Reads only the tokenizer (vocab-only GGUF files work).
 * {@code --no-special} adds no BOS/EOS and parses no special tokens in the text.
 */
final class TokenizeCommand {
    private TokenizeCommand() {}

    static int run(String[] argv, PrintStream out, PrintStream err) {
        Args a = Args.parse("tokenize", argv, 1, Set.of("--model", "--text"), Set.of("--no-special", "--json"));
        String text = a.require("--text");
        boolean special = !a.has("--no-special");
        try (GgufFile f = GgufFile.open(Cli.modelPath(a, err))) {
            Tokenizer tok = Tokenizer.fromGguf(f.metadata());
            int[] ids = tok.encode(text, special, special);
            if (a.has("--json")) {
                ObjectNode o = Json.mapper().createObjectNode();
                o.putPOJO("tokens", ids);
                out.println(Json.write(o));
            } else {
                for (int id : ids) out.println(id + "\t" + Json.write(tok.piece(id)));
            }
            return 0;
        }
    }
}
