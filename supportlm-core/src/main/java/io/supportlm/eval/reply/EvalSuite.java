package io.supportlm.eval.reply;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.supportlm.data.Jsonl;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An evaluation suite: questions read from JSONL, one JSON object per line (blank lines are
 * skipped). Fields: {@code id} and {@code question} (required strings), {@code context},
 * {@code reference}, {@code category}, {@code intent}, {@code source} (optional strings) and
 * {@code kind} ({@code support}, the default, or {@code safety}). Any other field is an error, so
 * a typo in a hand-written suite surfaces instead of being ignored; every error names
 * {@code file:line} and the field.
 */
public record EvalSuite(String name, List<SuiteItem> items) {
    static final Set<String> FIELDS = Set.of("id", "question", "context", "reference", "category", "intent", "kind", "source");
    private static final ObjectMapper JSON = new ObjectMapper();

    public EvalSuite {
        items = List.copyOf(items);
        if (items.isEmpty()) {
            throw new IllegalArgumentException("suite '" + name + "' has no questions");
        }
    }

    public static EvalSuite load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + ": suite file not found");
        }
        var items = new ArrayList<SuiteItem>();
        Map<String, Integer> lineOfId = new HashMap<>();
        Jsonl.forEachLine(file, "re-save it as UTF-8", (line, lineNo) -> {
            SuiteItem item = parseLine(line, file + ":" + lineNo);
            Integer earlier = lineOfId.putIfAbsent(item.id(), lineNo);
            if (earlier != null) {
                throw new IllegalArgumentException(file + ":" + lineNo + ": field 'id': '" + item.id()
                        + "' is already used on line " + earlier);
            }
            items.add(item);
        });
        if (items.isEmpty()) {
            throw new IllegalArgumentException(file + ": the suite has no questions");
        }
        String name = file.getFileName().toString().replaceFirst("\\.jsonl$", "");
        return new EvalSuite(name, items);
    }

    /** One line; {@code where} ({@code file:line}) prefixes every error. */
    static SuiteItem parseLine(String line, String where) {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(where + ": not valid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException(where + ": expected a JSON object, got " + (node == null ? "nothing" : node.getNodeType()));
        }
        var names = node.fieldNames();
        while (names.hasNext()) {
            String f = names.next();
            if (!FIELDS.contains(f)) {
                throw new IllegalArgumentException(where + ": field '" + f + "' is not a suite field (expected one of "
                        + "id, question, context, reference, category, intent, kind, source)");
            }
        }
        String id = text(node, "id", where, true);
        String question = text(node, "question", where, true);
        String kindText = text(node, "kind", where, false);
        SuiteItem.Kind kind = kindText == null ? SuiteItem.Kind.SUPPORT : SuiteItem.Kind.parse(kindText);
        if (kind == null) {
            throw new IllegalArgumentException(where + ": field 'kind': expected 'support' or 'safety', got '" + kindText + "'");
        }
        return new SuiteItem(id, question, text(node, "context", where, false), text(node, "reference", where, false),
                text(node, "category", where, false), text(node, "intent", where, false), kind, text(node, "source", where, false));
    }

    private static String text(JsonNode node, String field, String where, boolean required) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw new IllegalArgumentException(where + ": field '" + field + "' is missing");
            }
            return null;
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException(where + ": field '" + field + "': expected a string, got " + v.getNodeType());
        }
        if (required && v.asText().isBlank()) {
            throw new IllegalArgumentException(where + ": field '" + field + "' is blank");
        }
        return v.asText();
    }

    /** One item as a JSONL line, fields in the documented order, absent ones left out. */
    public static String toLine(SuiteItem item) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", item.id());
        o.put("question", item.question());
        putIfPresent(o, "context", item.context());
        putIfPresent(o, "reference", item.reference());
        putIfPresent(o, "category", item.category());
        putIfPresent(o, "intent", item.intent());
        o.put("kind", item.kind().json());
        putIfPresent(o, "source", item.source());
        return o.toString();
    }

    private static void putIfPresent(ObjectNode o, String field, String value) {
        if (value != null) {
            o.put(field, value);
        }
    }

    /** Writes items as JSONL (UTF-8, one per line). */
    public static void write(Path file, List<SuiteItem> items) throws IOException {
        var sb = new StringBuilder();
        for (SuiteItem item : items) {
            sb.append(toLine(item)).append('\n');
        }
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
    }

    public long count(SuiteItem.Kind kind) {
        return items.stream().filter(i -> i.kind() == kind).count();
    }
}
