package dev.ember.server;

/**
 * A request error with its HTTP status and OpenAI error fields; the REST layer renders it as
 * {@code {"error":{"message","type","param","code"}}} and gRPC maps the status to a code.
 */
public class ApiException extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;
    private final String code;

    public ApiException(int status, String type, String param, String message, String code) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    public ApiException(int status, String type, String param, String message) {
        this(status, type, param, message, null);
    }

    /** 400 for a bad parameter value, naming the parameter. */
    public static ApiException badParam(String param, String message) {
        return new ApiException(400, "invalid_request_error", param, message, "invalid_value");
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String param() {
        return param;
    }

    public String code() {
        return code;
    }
}
