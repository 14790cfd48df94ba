package io.supportlm.server;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.time.Instant;
import java.util.function.Consumer;

/**
 * Structured access log: one JSON object per line per request ({@code ts, request_id, method,
 * route, path, status, duration_ms, bytes_in, client, model, error, …}). We write the lines
 * ourselves (Jackson) rather than through a logging backend so that the format is the same
 * whatever SLF4J binding the application carries, and tests can read the lines back.
 */
public final class AccessLog {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final Consumer<String> sink;

    public AccessLog(Consumer<String> sink) {
        this.sink = sink;
    }

    /** Lines to a stream (standard output in {@code serve}), flushed per line. */
    public static AccessLog to(PrintStream out) {
        return new AccessLog(line -> {
            synchronized (out) {
                out.println(line);
                out.flush();
            }
        });
    }

    public static AccessLog off() {
        return new AccessLog(line -> {});
    }

    /** A fresh entry with the time set; the server fills it and {@link #write}s it. */
    public ObjectNode entry() {
        ObjectNode n = JSON.createObjectNode();
        n.put("ts", Instant.now().toString());
        return n;
    }

    public void write(ObjectNode entry) {
        sink.accept(entry.toString());
    }
}
