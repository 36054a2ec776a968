package dev.ember.compute.opencl;

/** An OpenCL call returned an error: the message names the call and the error, e.g. {@code clCreateBuffer failed: CL_OUT_OF_RESOURCES (-5)}. */
public class OpenClException extends RuntimeException {
    private final String call;
    private final int code;

    public OpenClException(String call, int code, String detail) {
        super(call + " failed: " + ClErrors.name(code) + " (" + code + ")" + (detail == null || detail.isEmpty() ? "" : ": " + detail));
        this.call = call;
        this.code = code;
    }

    /** The OpenCL function that failed, e.g. {@code clEnqueueNDRangeKernel}. */
    public String call() {
        return call;
    }

    /** The {@code cl_int} error code. */
    public int code() {
        return code;
    }

    /** The error's name from {@code cl.h}, e.g. {@code CL_INVALID_WORK_GROUP_SIZE}. */
    public String errorName() {
        return ClErrors.name(code);
    }
}
