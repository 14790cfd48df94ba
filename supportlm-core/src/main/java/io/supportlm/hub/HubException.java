package io.supportlm.hub;

import java.io.IOException;

/**
 * A pull or cache lookup that failed, with a message meant for the person at the terminal: it names the
 * repository, revision or file, the endpoint, and what to do next (set HF_TOKEN, check the name, go online).
 */
public final class HubException extends IOException {
    /** What went wrong, so a caller (the CLI's exit code, a retry policy) can tell the cases apart. */
    public enum Kind {
        /** The repository, revision or file does not exist (HTTP 404). */
        NOT_FOUND,
        /** Private or gated repository, missing or rejected token (HTTP 401/403). */
        UNAUTHORIZED,
        /** The endpoint could not be reached, timed out, or the transfer broke and could not be resumed. */
        NETWORK,
        /** Downloaded bytes do not match the size or hash the hub announced. */
        INTEGRITY,
        /** Offline, and the cache does not hold what was asked for. */
        NOT_CACHED,
        /** The hub answered something this client does not understand (bad JSON, missing headers, HTTP 5xx). */
        PROTOCOL,
        /** The local cache could not be written. */
        LOCAL_IO
    }

    private final Kind kind;

    public HubException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public HubException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
