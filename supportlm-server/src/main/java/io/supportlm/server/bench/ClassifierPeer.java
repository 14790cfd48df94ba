package io.supportlm.server.bench;

/**
 * Another implementation of text classification behind HTTP, measured beside ours by the same load
 * generator: {@code POST /classify} with {@code {"text": "…"}} answers {@code {"label", "confidence"}}.
 */
public interface ClassifierPeer extends AutoCloseable {
    /** The port it listens on (loopback). */
    int port();

    /** One line saying what it is (library and version, threads). */
    String description();

    @Override
    void close();
}
