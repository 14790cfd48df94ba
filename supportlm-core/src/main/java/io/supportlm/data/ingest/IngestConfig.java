package io.supportlm.data.ingest;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.supportlm.data.Deduplicator;
import io.supportlm.data.pii.PiiKind;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * How to turn a foreign file into {@link io.supportlm.data.SupportRecord}s; read from YAML (Jackson
 * YAML), unknown keys are errors. See {@code docs/data.md} for an example.
 *
 * @param format        csv, tsv, json, jsonl, or auto (by file extension; the default)
 * @param mapping       target field to source column (or dotted JSON path), e.g.
 *                      {@code inputs.text: body}, {@code outputs.labels.queue: Queue}. Empty: the
 *                      input is already canonical JSONL.
 * @param labelValues   per task, raw value to label (e.g. {@code "Billing and Payments": billing})
 * @param allowedLabels per task, the labels allowed; when absent but {@code labelValues} has the
 *                      task, the mapping's values are the allowed set
 * @param required      target fields whose empty value rejects a row; default: the text (or body) and every label
 * @param maxChars      rows whose main text is longer are rejected (default 20000)
 * @param dedup         none, exact or normalized (default normalized)
 * @param tagSeparator  splits a {@code meta.tags} column (default ";")
 * @param redact        PII kinds to redact; absent means all kinds, an empty list turns redaction off
 */
public record IngestConfig(
        String format,
        Map<String, String> mapping,
        Map<String, Map<String, String>> labelValues,
        Map<String, List<String>> allowedLabels,
        List<String> required,
        Integer maxChars,
        String dedup,
        String tagSeparator,
        List<String> redact) {

    /** Targets a mapping may name besides {@code outputs.labels.<task>}. */
    public static final Set<String> TARGETS = Set.of("id", "inputs.text", "inputs.subject", "inputs.body",
            "inputs.question", "inputs.context", "outputs.answer", "meta.timestamp", "meta.tags");

    private static final String LABEL_PREFIX = "outputs.labels.";

    public IngestConfig {
        format = format == null ? "auto" : format.toLowerCase(Locale.ROOT);
        if (!List.of("auto", "csv", "tsv", "json", "jsonl").contains(format)) {
            throw new IllegalArgumentException("format must be auto, csv, tsv, json or jsonl, got '" + format + "'");
        }
        mapping = mapping == null ? Map.of() : new LinkedHashMap<>(mapping);
        for (String target : mapping.keySet()) {
            boolean label = target.startsWith(LABEL_PREFIX) && target.length() > LABEL_PREFIX.length();
            if (!label && !TARGETS.contains(target)) {
                throw new IllegalArgumentException("mapping: unknown target field '" + target + "'; expected one of "
                        + new java.util.TreeSet<>(TARGETS) + " or outputs.labels.<task>");
            }
        }
        if (!mapping.isEmpty() && mapping.containsKey("inputs.text") == mapping.containsKey("inputs.body")) {
            throw new IllegalArgumentException("mapping needs exactly one of inputs.text or inputs.body");
        }
        if (mapping.containsKey("inputs.subject") && !mapping.containsKey("inputs.body")) {
            throw new IllegalArgumentException("mapping: inputs.subject needs inputs.body (not inputs.text)");
        }
        labelValues = labelValues == null ? Map.of() : Map.copyOf(labelValues);
        allowedLabels = allowedLabels == null ? Map.of() : Map.copyOf(allowedLabels);
        if (required == null) {
            List<String> defaults = new ArrayList<>();
            defaults.add(mapping.containsKey("inputs.body") ? "inputs.body" : "inputs.text");
            mapping.keySet().stream().filter(k -> k.startsWith(LABEL_PREFIX)).forEach(defaults::add);
            required = defaults;
        } else {
            for (String r : required) {
                if (!mapping.containsKey(r)) {
                    throw new IllegalArgumentException("required field '" + r + "' is not in the mapping");
                }
            }
            required = List.copyOf(required);
        }
        maxChars = maxChars == null ? 20_000 : maxChars;
        if (maxChars < 1) {
            throw new IllegalArgumentException("maxChars must be positive, got " + maxChars);
        }
        dedup = dedup == null ? "normalized" : dedup.toLowerCase(Locale.ROOT);
        dedupMode(dedup);
        tagSeparator = tagSeparator == null ? ";" : tagSeparator;
        if (redact != null) {
            redact.forEach(PiiKind::parse);
            redact = List.copyOf(redact);
        }
    }

    /** Canonical JSONL input with default checks. */
    public static IngestConfig canonical() {
        return new IngestConfig("jsonl", null, null, null, null, null, null, null, null);
    }

    /** A plain mapping with defaults for everything else. */
    public static IngestConfig ofMapping(Map<String, String> mapping) {
        return new IngestConfig(null, mapping, null, null, null, null, null, null, null);
    }

    public static IngestConfig load(Path yaml) throws IOException {
        ObjectMapper m = YAMLMapper.builder().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
        try {
            return m.readValue(yaml.toFile(), IngestConfig.class);
        } catch (UnrecognizedPropertyException e) {
            throw new IllegalArgumentException(yaml + ": unknown key '" + e.getPropertyName() + "'; known keys: "
                    + e.getKnownPropertyIds(), e);
        } catch (com.fasterxml.jackson.databind.JsonMappingException e) {
            Throwable cause = e.getCause() instanceof IllegalArgumentException iae ? iae : e;
            throw new IllegalArgumentException(yaml + ": " + (cause == e ? e.getOriginalMessage() : cause.getMessage()), e);
        }
    }

    public boolean canonicalInput() {
        return mapping.isEmpty();
    }

    public Deduplicator.Mode dedupMode() {
        return dedupMode(dedup);
    }

    private static Deduplicator.Mode dedupMode(String s) {
        try {
            return Deduplicator.Mode.valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("dedup must be none, exact or normalized, got '" + s + "'");
        }
    }

    public Set<PiiKind> redactKinds() {
        if (redact == null) {
            return EnumSet.allOf(PiiKind.class);
        }
        Set<PiiKind> kinds = EnumSet.noneOf(PiiKind.class);
        redact.forEach(k -> kinds.add(PiiKind.parse(k)));
        return kinds;
    }

    /** The task names mapped to labels, in mapping order. */
    public List<String> labelTasks() {
        return mapping.keySet().stream().filter(k -> k.startsWith(LABEL_PREFIX))
                .map(k -> k.substring(LABEL_PREFIX.length())).toList();
    }

    /**
     * Maps a raw label of {@code task} through {@code labelValues}; returns null when it is not allowed.
     */
    public String resolveLabel(String task, String raw) {
        Map<String, String> values = labelValues.get(task);
        String label = values != null && values.containsKey(raw) ? values.get(raw) : raw;
        List<String> allowed = allowedLabels.get(task);
        if (allowed != null) {
            return allowed.contains(label) ? label : null;
        }
        if (values != null) {
            return values.containsValue(label) ? label : null;
        }
        return label;
    }
}
