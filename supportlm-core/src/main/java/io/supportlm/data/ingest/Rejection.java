package io.supportlm.data.ingest;

/** One rejected row: where it is (file and 1-based line where the row starts), why, and details. */
public record Rejection(String file, long line, RejectReason reason, String detail) {
    @Override
    public String toString() {
        return file + ":" + line + ": " + reason + ": " + detail;
    }
}
