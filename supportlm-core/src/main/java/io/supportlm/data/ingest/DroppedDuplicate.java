package io.supportlm.data.ingest;

/** A row dropped as a duplicate of an earlier accepted record ({@code exact}: same text, else near-duplicate). */
public record DroppedDuplicate(String file, long line, String id, String duplicateOf, boolean exact) {}
