package io.supportlm.sft;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The pre-tokenized developer format the trainers read until conversations are tokenized in the
 * data pipeline: one JSON object per line, {@code {"ids": [..], "labels": [..]}} (labels -100
 * where no loss is taken, else the token id) for SFT, and
 * {@code {"chosen": {"ids", "labels"}, "rejected": {"ids", "labels"}}} for DPO. Blank lines are
 * skipped; any other problem is an error naming the file and line.
 */
public final class TokenizedJsonl {
    private TokenizedJsonl() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    public static List<SftExample> examples(Path file) throws IOException {
        List<SftExample> out = new ArrayList<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(file)) {
            lineNo++;
            if (!line.isBlank()) {
                out.add(example(parse(file, lineNo, line), file, lineNo, ""));
            }
        }
        return out;
    }

    public static List<PreferenceExample> preferences(Path file) throws IOException {
        List<PreferenceExample> out = new ArrayList<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(file)) {
            lineNo++;
            if (!line.isBlank()) {
                JsonNode n = parse(file, lineNo, line);
                out.add(new PreferenceExample(example(n.path("chosen"), file, lineNo, "chosen."),
                        example(n.path("rejected"), file, lineNo, "rejected.")));
            }
        }
        return out;
    }

    private static JsonNode parse(Path file, int lineNo, String line) {
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ":" + lineNo + ": not JSON (" + e.getMessage() + ")");
        }
    }

    private static SftExample example(JsonNode n, Path file, int lineNo, String prefix) {
        int[] ids = ints(n.path("ids"), file, lineNo, prefix + "ids");
        int[] labels = ints(n.path("labels"), file, lineNo, prefix + "labels");
        try {
            return new SftExample(ids, labels);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ":" + lineNo + ": " + e.getMessage());
        }
    }

    private static int[] ints(JsonNode a, Path file, int lineNo, String field) {
        if (!a.isArray() || a.isEmpty()) {
            throw new IllegalArgumentException(file + ":" + lineNo + ": '" + field + "' must be a non-empty array of token ids");
        }
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            if (!a.get(i).isInt()) {
                throw new IllegalArgumentException(file + ":" + lineNo + ": '" + field + "'[" + i + "] is not an integer");
            }
            out[i] = a.get(i).asInt();
        }
        return out;
    }
}
