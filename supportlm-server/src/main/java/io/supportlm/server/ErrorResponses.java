package io.supportlm.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;

/** Errors in OpenAI's shape: {@code {"error": {"message", "type", "param", "code"}, "request_id"}}. */
final class ErrorResponses {
    private ErrorResponses() {}

    static void write(Context ctx, ApiException e, String requestId) {
        ObjectNode root = JsonBody.MAPPER.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("message", e.getMessage());
        error.put("type", e.type());
        if (e.param() == null) {
            error.putNull("param");
        } else {
            error.put("param", e.param());
        }
        error.put("code", e.status());
        root.put("request_id", requestId);
        if (e.retryAfterSeconds() != null) {
            ctx.header("Retry-After", e.retryAfterSeconds());
        }
        JsonBody.send(ctx, e.status(), root);
    }
}
