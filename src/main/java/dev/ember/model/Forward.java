package dev.ember.model;

/**
 * A model's batched forward pass on some compute target: the CPU's {@link ModelRunner} or a kernel
 * backend's {@link DeviceModelRunner}. One thread at a time.
 */
public interface Forward extends AutoCloseable {
    ModelConfig config();

    /** The KV cache whose block tables the batches use. */
    KvCache cache();

    /**
     * Runs the batch, writing its keys and values into the cache, and returns the logits of the rows
     * {@code batch.logitRows()}: [logitRows.length, vocab] row-major.
     */
    float[] forward(Batch batch);

    /** Frees what the forward pass holds (device buffers); the CPU runner holds nothing to free. */
    @Override
    default void close() {}
}
