package dev.ember.gguf.synth;

/**
 * One tensor of a synthetic model: its name, ggml shape ({@code shape[0]} = row length), the layer it belongs to
 * (−1 for none) and how it is filled: norm weights are all 1.0, everything else N(0, 0.02).
 */
public record TensorSpec(String name, int layer, long[] shape, boolean ones) {

    static TensorSpec matrix(String name, int layer, int rowLength, int rows) {
        return new TensorSpec(name, layer, new long[] {rowLength, rows}, false);
    }

    static TensorSpec norm(String name, int layer, int n) {
        return new TensorSpec(name, layer, new long[] {n}, true);
    }

    static TensorSpec bias(String name, int layer, int n) {
        return new TensorSpec(name, layer, new long[] {n}, false);
    }

    public int rowLength() {
        return Math.toIntExact(shape[0]);
    }

    public long rows() {
        return shape.length > 1 ? shape[1] : 1;
    }

    /** The part of the name after {@code blk.N.}, e.g. {@code attn_v.weight}. */
    public String role() {
        return layer < 0 ? name : name.substring(name.indexOf('.', 4) + 1);
    }
}
