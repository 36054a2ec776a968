package dev.ember.cli;

import dev.ember.gguf.synth.ModelShape;
import dev.ember.gguf.synth.QuantMix;
import dev.ember.gguf.synth.SyntheticModel;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * {@code ember make-model --shape S --quant Q --out F [--seed S] [--vocab F | --fixtures DIR]}: writes a
 * random-weight GGUF model (see {@link SyntheticModel}) for benchmarking Ember and llama.cpp on the same file.
 * The vocab file defaults to {@code ../shared/fixtures/tokenizer/<the shape's vocab>} relative to the working
 * directory.
 */
final class MakeModelCommand {
    private MakeModelCommand() {}

    static final long DEFAULT_SEED = 1234;
    static final Path DEFAULT_FIXTURES = Path.of("../shared/fixtures");

    static int run(String[] argv, PrintStream out) {
        Args a = Args.parse("make-model", argv, 1, Set.of("--shape", "--quant", "--seed", "--out", "--vocab", "--fixtures"), Set.of());
        ModelShape shape;
        QuantMix mix;
        try {
            shape = ModelShape.byName(a.require("--shape"));
            mix = QuantMix.byName(a.require("--quant"));
        } catch (IllegalArgumentException e) {
            throw new Args.UsageException("make-model: " + e.getMessage());
        }
        long seed = a.getLong("--seed", DEFAULT_SEED);
        Path outFile = Path.of(a.require("--out"));
        if (a.has("--vocab") && a.has("--fixtures")) {
            throw new Args.UsageException("make-model: give --vocab or --fixtures, not both");
        }
        Path vocab = a.has("--vocab") ? Path.of(a.get("--vocab"))
                : Path.of(a.has("--fixtures") ? a.get("--fixtures") : DEFAULT_FIXTURES.toString())
                        .resolve("tokenizer").resolve(shape.vocabFile());
        if (!Files.isRegularFile(vocab)) {
            throw new IllegalArgumentException("vocab file " + vocab.toAbsolutePath().normalize() + " not found (shape "
                    + shape.name() + " copies its tokenizer from " + shape.vocabFile() + "); pass --vocab FILE or --fixtures DIR");
        }
        Path parent = outFile.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new IllegalArgumentException("output directory " + parent + " does not exist");
        }
        long t0 = System.nanoTime();
        SyntheticModel.Result r = SyntheticModel.write(shape, mix, seed, vocab, outFile);
        double secs = (System.nanoTime() - t0) / 1e9;
        out.printf("wrote %s: %s %s seed %d, %d tensors, vocab %d, %,d bytes in %.1f s%n",
                r.path(), shape.name(), mix.cliName, seed, r.tensors(), r.vocabSize(), r.bytes(), secs);
        return 0;
    }
}
