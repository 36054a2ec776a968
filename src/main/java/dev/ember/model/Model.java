package dev.ember.model;

import dev.ember.gguf.GgufFile;
import dev.ember.gguf.GgufFormatException;
import dev.ember.tokenizer.Tokenizer;

import java.nio.file.Path;

/**
 * A loaded model: the mapped GGUF file, its hyper-parameters and weight views. Loading reads only
 * metadata and tensor infos (plus the tiny norm vectors); the weights stay in the mapping.
 */
public final class Model implements AutoCloseable {
    private final GgufFile file;
    private final ModelConfig config;
    private final ModelWeights weights;
    private final Tokenizer tokenizer;

    private Model(GgufFile file, ModelConfig config, ModelWeights weights, Tokenizer tokenizer) {
        this.file = file;
        this.config = config;
        this.weights = weights;
        this.tokenizer = tokenizer;
    }

    public static Model load(Path path) {
        GgufFile f = GgufFile.open(path);
        try {
            int vocabFallback = f.metadata().has("tokenizer.ggml.tokens")
                    ? f.metadata().getStringArray("tokenizer.ggml.tokens").length
                    : (f.tensor("token_embd.weight") != null ? (int) f.tensor("token_embd.weight").rowCount() : 0);
            ModelConfig c = ModelConfig.fromGguf(f.metadata(), vocabFallback);
            ModelWeights w = ModelWeights.load(f, c);
            Tokenizer t = Tokenizer.fromGguf(f.metadata());
            if (t.vocabSize() != c.vocabSize()) {
                throw new GgufFormatException(path + ": the tokenizer has " + t.vocabSize() + " tokens but the model's vocabulary is " + c.vocabSize());
            }
            return new Model(f, c, w, t);
        } catch (RuntimeException e) {
            f.close();
            if (e instanceof GgufFormatException) throw e;
            throw new GgufFormatException(path + ": " + e.getMessage());
        }
    }

    public GgufFile file() {
        return file;
    }

    public ModelConfig config() {
        return config;
    }

    public ModelWeights weights() {
        return weights;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public void close() {
        weights.repackCache().close();   // waits for a cache file being written, then drops the repacked copies
        for (var m : weights.matrices()) dev.ember.compute.cpu.CpuKernels.release(m);
        file.close();
    }
}
