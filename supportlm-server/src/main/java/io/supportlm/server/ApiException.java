package io.supportlm.server;

/**
 * A request the server refuses, with the HTTP status, an OpenAI-style error type, and the field
 * at fault (null when the whole request is). Its message goes to the client, so it names the
 * problem and never carries internals.
 */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;
    private final String retryAfterSeconds;

    public ApiException(int status, String type, String param, String message) {
        this(status, type, param, message, null);
    }

    private ApiException(int status, String type, String param, String message, String retryAfterSeconds) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 400 for a field: {@code field} is its JSON path, e.g. {@code items[2].text}. */
    public static ApiException badField(String field, String problem) {
        return new ApiException(400, "invalid_request_error", field, "field '" + field + "': " + problem);
    }

    public static ApiException badRequest(String message) {
        return new ApiException(400, "invalid_request_error", null, message);
    }

    public static ApiException overloaded(String message, long retryAfterSeconds) {
        return new ApiException(429, "rate_limit_error", null, message, Long.toString(Math.max(1, retryAfterSeconds)));
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

    /** The Retry-After header value in seconds, or null. */
    public String retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
