package io.supportlm.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads and writes {@link SupportRecord}s as JSON Lines (UTF-8, one record per line, Jackson). */
public final class Jsonl {
    /** Strict: an unknown field in a record is an error, so typos in hand-written files surface. */
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    private Jsonl() {}

    public static String toLine(SupportRecord record) {
        try {
            return MAPPER.writeValueAsString(record);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize record " + record.id(), e);
        }
    }

    /** Parses one line; the message names the field that is wrong. */
    public static SupportRecord fromLine(String line) {
        try {
            return MAPPER.readValue(line, SupportRecord.class);
        } catch (JsonProcessingException e) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            String msg = root instanceof IllegalArgumentException ? root.getMessage() : e.getOriginalMessage();
            throw new IllegalArgumentException(msg, e);
        }
    }

    public static void write(Path file, Iterable<SupportRecord> records) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (SupportRecord r : records) {
                w.write(toLine(r));
                w.write('\n');
            }
        }
    }

    /**
     * Reads a canonical JSONL file, failing on the first bad line with its file and line number.
     * Blank lines are skipped. Use {@code Ingester} to collect every problem instead.
     */
    public static List<SupportRecord> read(Path file) throws IOException {
        List<SupportRecord> out = new ArrayList<>();
        forEachLine(file, "run `supportlm data validate` to list the rows", (line, lineNo) -> {
            try {
                out.add(fromLine(line));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ":" + lineNo + ": " + e.getMessage(), e);
            }
        });
        return out;
    }

    /** What {@link #forEachLine} does with one line; {@code lineNo} counts from 1. */
    @FunctionalInterface
    public interface LineVisitor {
        void accept(String line, int lineNo) throws IOException;
    }

    /**
     * Walks the lines of a UTF-8 JSONL file: a leading byte-order mark is dropped, blank lines are
     * skipped, and each line comes with its number, for messages. Bytes that are not UTF-8
     * fail with the file's name and {@code utf8Hint}, what to do about them.
     */
    public static void forEachLine(Path file, String utf8Hint, LineVisitor visitor) throws IOException {
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int lineNo = 0;
            while ((line = r.readLine()) != null) {
                lineNo++;
                if (lineNo == 1 && line.startsWith("\uFEFF")) {
                    line = line.substring(1);
                }
                if (!line.isBlank()) {
                    visitor.accept(line, lineNo);
                }
            }
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalArgumentException(file + ": holds bytes that are not valid UTF-8 (" + utf8Hint + ")", e);
        }
    }
}
