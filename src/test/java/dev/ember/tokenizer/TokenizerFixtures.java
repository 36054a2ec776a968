package dev.ember.tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/** Paths to the shared fixtures, llama.cpp's tokenizer test vectors, and a cache of loaded vocabularies. */
final class TokenizerFixtures {
    static final Path ROOT = Path.of(System.getProperty("ember.fixtures", "../shared/fixtures"));
    static final Path TOKENIZER_DIR = ROOT.resolve("tokenizer");
    static final Path MODELS_DIR = ROOT.resolve("models");
    static final Path REFERENCE_DIR = ROOT.resolve("reference");

    private static final Map<String, Tokenizer> CACHE = new ConcurrentHashMap<>();

    private TokenizerFixtures() {}

    /** One llama.cpp test vector: input text and the ids llama.cpp produced (add_special=false, parse_special=false). */
    record Vector(int index, String input, int[] expected) {
        @Override
        public String toString() {
            return "#" + index + " '" + printable(input) + "'";
        }
    }

    /** Vocab names (e.g. "gpt-2") of every ggml-vocab-NAME.gguf in the fixtures. */
    static List<String> vocabNames() {
        try (Stream<Path> files = Files.list(TOKENIZER_DIR)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("ggml-vocab-") && n.endsWith(".gguf"))
                    .map(n -> n.substring("ggml-vocab-".length(), n.length() - ".gguf".length()))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path vocabFile(String name) {
        return TOKENIZER_DIR.resolve("ggml-vocab-" + name + ".gguf");
    }

    static boolean hasVectors(String name) {
        return Files.exists(Path.of(vocabFile(name) + ".inp")) && Files.exists(Path.of(vocabFile(name) + ".out"));
    }

    static Tokenizer vocab(String name) {
        return CACHE.computeIfAbsent(name, n -> Tokenizer.fromGguf(vocabFile(n)));
    }

    static Tokenizer model(String file) {
        return CACHE.computeIfAbsent("model:" + file, n -> Tokenizer.fromGguf(MODELS_DIR.resolve(file)));
    }

    /** Reads X.gguf.inp / X.gguf.out the way llama.cpp's test-tokenizer-0 does. */
    static List<Vector> vectors(String name) {
        try {
            String raw = Files.readString(Path.of(vocabFile(name) + ".inp"), StandardCharsets.UTF_8);
            List<String> out = Files.readAllLines(Path.of(vocabFile(name) + ".out"), StandardCharsets.UTF_8);
            List<String> inputs = splitInputs(raw);
            if (inputs.size() != out.size()) {
                throw new IllegalStateException(name + ": " + inputs.size() + " inputs but " + out.size() + " outputs");
            }
            List<Vector> vectors = new ArrayList<>();
            for (int i = 0; i < inputs.size(); i++) {
                String line = out.get(i).strip();
                int[] ids = line.isEmpty() ? new int[0] : Arrays.stream(line.split(" ")).mapToInt(Integer::parseInt).toArray();
                vectors.add(new Vector(i, inputs.get(i), ids));
            }
            return vectors;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The shared test texts (identical in every .inp), for vocabularies that ship without vectors. */
    static List<String> sharedInputs() {
        return vectors("llama-spm").stream().map(Vector::input).toList();
    }

    private static List<String> splitInputs(String raw) {
        String sep = "\n__ggml_vocab_test__\n";
        List<String> inputs = new ArrayList<>();
        int pos = 0;
        while (pos < raw.length()) {
            int next = raw.indexOf(sep, pos);
            if (next < 0) {
                inputs.add(raw.substring(pos));
                break;
            }
            inputs.add(raw.substring(pos, next));
            pos = next + sep.length();
        }
        return inputs;
    }

    static String printable(String s) {
        String p = s.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r");
        return p.length() > 60 ? p.substring(0, 57) + "..." : p;
    }
}
