package dev.ember.compute.cuda;

/**
 * A CUDA driver or NVRTC call returned an error: the message names the call and the error
 * ({@code cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (2)}), followed by whatever the library logged
 * (the NVRTC compile log, the PTX JIT error log).
 */
public final class CudaException extends RuntimeException {
    private final String call;
    private final String errorName;
    private final int code;

    public CudaException(String call, String errorName, int code, String detail) {
        super(call + " failed: " + errorName + " (" + code + ")" + (detail == null || detail.isBlank() ? "" : "\n" + detail.strip()));
        this.call = call;
        this.errorName = errorName;
        this.code = code;
    }

    /** The failing call, e.g. {@code cuLaunchKernel(Scale.scale, Launch[...])}. */
    public String call() {
        return call;
    }

    /** e.g. {@code CUDA_ERROR_INVALID_VALUE} or {@code NVRTC_ERROR_COMPILATION}. */
    public String errorName() {
        return errorName;
    }

    /** The numeric CUresult or nvrtcResult. */
    public int code() {
        return code;
    }
}
