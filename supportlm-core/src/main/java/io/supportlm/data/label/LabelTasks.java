package io.supportlm.data.label;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The label schema a teacher must answer in, read from {@code tasks.yaml}:
 * <pre>
 * instructions: You label customer-support tickets for routing.   # optional
 * tasks:
 *   queue:
 *     description: the team that should handle the ticket
 *     labels: [billing, tech_support, account, shipping, sales, general]
 * </pre>
 */
public record LabelTasks(String instructions, Map<String, Task> tasks) {
    /** One classification task: a name (the map key), what it means, and its allowed labels. */
    public record Task(String description, List<String> labels) {
        public Task {
            if (labels == null || labels.isEmpty()) {
                throw new IllegalArgumentException("a task needs a non-empty 'labels' list");
            }
            if (labels.stream().distinct().count() != labels.size()) {
                throw new IllegalArgumentException("task labels must be distinct: " + labels);
            }
            labels = List.copyOf(labels);
            description = description == null ? "" : description;
        }
    }

    public LabelTasks {
        if (tasks == null || tasks.isEmpty()) {
            throw new IllegalArgumentException("tasks.yaml needs at least one task under 'tasks'");
        }
        tasks = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tasks));
        instructions = instructions == null ? "You label customer-support messages." : instructions;
    }

    public static LabelTasks load(Path yaml) throws IOException {
        try {
            return YAMLMapper.builder().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build()
                    .readValue(yaml.toFile(), LabelTasks.class);
        } catch (UnrecognizedPropertyException e) {
            throw new IllegalArgumentException(yaml + ": unknown key '" + e.getPropertyName() + "'", e);
        } catch (JsonMappingException e) {
            Throwable c = e.getCause();
            throw new IllegalArgumentException(yaml + ": " + (c instanceof IllegalArgumentException ? c.getMessage() : e.getOriginalMessage()), e);
        }
    }

    /** The system prompt: the schema spelled out, and the demand for bare JSON. */
    public String systemPrompt() {
        StringBuilder sb = new StringBuilder(instructions.strip()).append("\n\nClassify the message for each task below. ")
                .append("Reply with one JSON object and nothing else, with exactly these keys, each set to one of its allowed labels:\n");
        tasks.forEach((name, t) -> {
            sb.append("- \"").append(name).append("\"");
            if (!t.description().isBlank()) {
                sb.append(" (").append(t.description().strip()).append(')');
            }
            sb.append(": one of ").append(String.join(", ", t.labels().stream().map(l -> "\"" + l + "\"").toList())).append('\n');
        });
        return sb.toString();
    }
}
