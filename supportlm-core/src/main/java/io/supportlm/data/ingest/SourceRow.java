package io.supportlm.data.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One row of an input file as read, before mapping: its 1-based starting line, and either its
 * values or the reason it could not be parsed ({@code problem}).
 */
sealed interface SourceRow {
    long line();

    /** The raw text of the row when it is a canonical JSONL line, else null. */
    default String rawLine() {
        return null;
    }

    /** A value by column name (or dotted JSON path): null when absent, a String, or a List of Strings. */
    Object lookup(String column);

    record Csv(long line, Map<String, String> values) implements SourceRow {
        @Override
        public Object lookup(String column) {
            return values.get(column);
        }
    }

    record Json(long line, JsonNode node, String rawLine) implements SourceRow {
        @Override
        public Object lookup(String column) {
            JsonNode n = node;
            for (String part : column.split("\\.")) {
                if (n == null || !n.isObject()) {
                    return null;
                }
                n = n.get(part);
            }
            if (n == null || n.isNull() || n.isMissingNode()) {
                return null;
            }
            if (n.isArray()) {
                List<String> items = new ArrayList<>();
                n.forEach(e -> items.add(e.isValueNode() ? e.asText() : e.toString()));
                return items;
            }
            return n.isValueNode() ? n.asText() : n.toString();
        }
    }

    /** A row that could not be parsed at all. */
    record Broken(long line, RejectReason reason, String problem) implements SourceRow {
        @Override
        public Object lookup(String column) {
            return null;
        }
    }
}
