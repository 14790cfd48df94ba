package io.supportlm.data;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One support example, the unit every later stage (training, evaluation, serving) consumes.
 * JSONL with one record per line is the canonical form on disk; see {@code docs/data.md}.
 *
 * @param id      stable identifier (reruns over the same input give the same ids)
 * @param inputs  what the model sees
 * @param outputs what it should produce: labels per task and/or a reference answer
 * @param meta    provenance and free tags
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record SupportRecord(
        String id,
        Inputs inputs,
        @JsonInclude(value = JsonInclude.Include.CUSTOM, valueFilter = Outputs.OmitWhenEmpty.class) Outputs outputs,
        Meta meta) {
    public SupportRecord {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("record id is missing or blank");
        }
        Objects.requireNonNull(inputs, () -> "record " + id + ": inputs missing");
        outputs = outputs == null ? Outputs.EMPTY : outputs;
        meta = meta == null ? new Meta("unknown", null, List.of()) : meta;
    }

    /** The text a classifier reads: {@code text}, or {@code subject} and {@code body} on two lines. */
    @JsonIgnore
    public String mainText() {
        return inputs.mainText();
    }

    /** The label of {@code task}, or null when this record has none. */
    public String label(String task) {
        return outputs.labels().get(task);
    }

    public SupportRecord withInputs(Inputs newInputs) {
        return new SupportRecord(id, newInputs, outputs, meta);
    }

    public SupportRecord withOutputs(Outputs newOutputs) {
        return new SupportRecord(id, inputs, newOutputs, meta);
    }

    /**
     * The input side. Either {@code text}, or {@code body} (with an optional {@code subject}) for
     * email-like tickets; never both.
     */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Inputs(String text, String subject, String body, String question, String context,
                         List<Turn> history) {
        public Inputs {
            if ((text == null) == (body == null)) {
                throw new IllegalArgumentException(
                        "inputs need exactly one of 'text' or 'body' (with optional 'subject'), got "
                                + (text == null ? "neither" : "both"));
            }
            if (text != null && subject != null) {
                throw new IllegalArgumentException("inputs.subject goes with inputs.body, not with inputs.text");
            }
            history = history == null ? List.of() : List.copyOf(history);
        }

        public static Inputs ofText(String text) {
            return new Inputs(text, null, null, null, null, null);
        }

        public static Inputs ofEmail(String subject, String body) {
            return new Inputs(null, subject, body, null, null, null);
        }

        @JsonIgnore
        public String mainText() {
            if (text != null) {
                return text;
            }
            return subject == null || subject.isEmpty() ? body : subject + "\n" + body;
        }
    }

    /** One earlier turn of a conversation; role is {@code user}, {@code assistant} or {@code system}. */
    public record Turn(String role, String content) {
        public Turn {
            if (!"user".equals(role) && !"assistant".equals(role) && !"system".equals(role)) {
                throw new IllegalArgumentException("history role must be user, assistant or system, got '" + role + "'");
            }
            Objects.requireNonNull(content, "history content");
        }
    }

    /** Targets: a label per task name (sorted, so files diff well) and an optional reference answer. */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Outputs(Map<String, String> labels, String answer) {
        public static final Outputs EMPTY = new Outputs(Map.of(), null);

        /** Jackson value filter: leave {@code "outputs": {}} out of the JSON. */
        static final class OmitWhenEmpty {
            @Override
            public boolean equals(Object o) {
                return o instanceof Outputs out && out.labels.isEmpty() && out.answer == null;
            }

            @Override
            public int hashCode() {
                return 0;
            }
        }

        public Outputs {
            labels = labels == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(labels));
        }
    }

    /** Provenance: the source (file name or generator), an optional ISO-8601 timestamp, and tags. */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Meta(String source, String timestamp, List<String> tags) {
        public Meta {
            if (source == null || source.isBlank()) {
                throw new IllegalArgumentException("meta.source is missing");
            }
            tags = tags == null ? List.of() : List.copyOf(tags);
        }
    }
}
