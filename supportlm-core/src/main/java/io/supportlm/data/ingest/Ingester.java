package io.supportlm.data.ingest;

import io.supportlm.data.Deduplicator;
import io.supportlm.data.Jsonl;
import io.supportlm.data.SupportRecord;
import io.supportlm.data.TextNormalizer;
import io.supportlm.data.pii.PiiKind;
import io.supportlm.data.pii.PiiRedactor;
import io.supportlm.data.pii.Redaction;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongConsumer;

/**
 * Turns input files into validated, normalized, redacted, deduplicated records. Every row read
 * ends as exactly one of: an accepted record, a {@link Rejection} (file, line, reason), or a
 * {@link DroppedDuplicate}. Steps per row: parse, map columns, check required fields and
 * encoding, normalize (NFC, whitespace, controls), check text length and labels, redact PII,
 * check id uniqueness, deduplicate.
 */
public final class Ingester {
    private final IngestConfig config;
    private final PiiRedactor redactor;
    private final LongConsumer progress;

    /** @param progress called with the running row count (may be a no-op) */
    public Ingester(IngestConfig config, LongConsumer progress) {
        this.config = config;
        this.redactor = new PiiRedactor(config.redactKinds());
        this.progress = progress;
    }

    public Ingester(IngestConfig config) {
        this(config, n -> {});
    }

    /** Ingests the files in order; deduplication and id checks span all of them. */
    public IngestResult ingest(List<Path> files) throws IOException {
        State state = new State(new Deduplicator(config.dedupMode()));
        for (Path file : files) {
            String format = RowReader.resolveFormat(config.format(), file);
            if (config.canonicalInput() && !format.equals("jsonl")) {
                throw new IllegalArgumentException(file + ": " + format + " input needs a column mapping in the config");
            }
            String name = file.getFileName().toString();
            String stem = name.contains(".") ? name.substring(0, name.lastIndexOf('.')) : name;
            List<String> header = RowReader.read(file, format, row -> {
                state.rowsRead++;
                handle(row, name, stem, state);
                progress.accept(state.rowsRead);
            });
            checkMappedColumnsExist(file, format, header);
        }
        return new IngestResult(state.rowsRead, state.records, state.rejections, state.duplicates, state.redactions);
    }

    private void checkMappedColumnsExist(Path file, String format, List<String> header) {
        if ((format.equals("csv") || format.equals("tsv")) && !config.canonicalInput()) {
            for (var e : config.mapping().entrySet()) {
                if (!header.contains(e.getValue())) {
                    throw new IllegalArgumentException(file + ": mapping " + e.getKey() + ": column '" + e.getValue()
                            + "' is not in the header " + header);
                }
            }
        }
    }

    private static final class State {
        final Deduplicator dedup;
        long rowsRead;
        final List<SupportRecord> records = new ArrayList<>();
        final List<Rejection> rejections = new ArrayList<>();
        final List<DroppedDuplicate> duplicates = new ArrayList<>();
        final Map<PiiKind, Integer> redactions = new EnumMap<>(PiiKind.class);
        final Set<String> ids = new HashSet<>();

        State(Deduplicator dedup) {
            this.dedup = dedup;
        }
    }

    /** A row that failed one check. */
    private static final class Reject extends Exception {
        final RejectReason reason;

        Reject(RejectReason reason, String detail) {
            super(detail, null, false, false);
            this.reason = reason;
        }
    }

    private void handle(SourceRow row, String fileName, String stem, State state) {
        try {
            SupportRecord record = switch (row) {
                case SourceRow.Broken b -> throw new Reject(b.reason(), b.problem());
                default -> config.canonicalInput() ? parseCanonical(row) : map(row, fileName, stem);
            };
            Map<PiiKind, Integer> redacted = new EnumMap<>(PiiKind.class);
            record = clean(record, redacted);
            if (!state.ids.add(record.id())) {
                throw new Reject(RejectReason.DUPLICATE_ID, "id '" + record.id() + "' is used by an earlier record");
            }
            Deduplicator.Duplicate dup = state.dedup.check(record);
            if (dup != null) {
                state.ids.remove(record.id());
                state.duplicates.add(new DroppedDuplicate(fileName, row.line(), record.id(), dup.duplicateOf(), dup.exact()));
                return;
            }
            state.records.add(record);
            redacted.forEach((k, v) -> state.redactions.merge(k, v, Integer::sum));
        } catch (Reject r) {
            state.rejections.add(new Rejection(fileName, row.line(), r.reason, r.getMessage()));
        }
    }

    private SupportRecord parseCanonical(SourceRow row) throws Reject {
        if (row.rawLine().indexOf(RowReader.REPLACEMENT) >= 0) {
            throw new Reject(RejectReason.BAD_ENCODING, "line holds bytes that are not valid UTF-8");
        }
        if (row.lookup("id") == null) {
            throw new Reject(RejectReason.MISSING_FIELD, "id is missing");
        }
        if (row.lookup("inputs.text") == null && row.lookup("inputs.body") == null) {
            throw new Reject(RejectReason.MISSING_FIELD, "inputs.text or inputs.body is missing");
        }
        if (row.lookup("meta.source") == null) {
            throw new Reject(RejectReason.MISSING_FIELD, "meta.source is missing");
        }
        try {
            return Jsonl.fromLine(row.rawLine());
        } catch (IllegalArgumentException e) {
            throw new Reject(RejectReason.MALFORMED_ROW, "invalid record: " + e.getMessage());
        }
    }

    private SupportRecord map(SourceRow row, String fileName, String stem) throws Reject {
        Map<String, String> values = new LinkedHashMap<>();
        List<String> tags = List.of();
        for (var e : config.mapping().entrySet()) {
            Object v = row.lookup(e.getValue());
            if (e.getKey().equals("meta.tags")) {
                tags = v instanceof List<?> list ? list.stream().map(String::valueOf).toList() : splitTags((String) v);
                if (tags.isEmpty() && config.required().contains("meta.tags")) {
                    throw new Reject(RejectReason.MISSING_FIELD, "meta.tags: column '" + e.getValue() + "' is empty");
                }
                continue;
            }
            String s = v instanceof List<?> list ? String.join(config.tagSeparator(), list.stream().map(String::valueOf).toList())
                    : (String) v;
            if (s != null && s.indexOf(RowReader.REPLACEMENT) >= 0) {
                throw new Reject(RejectReason.BAD_ENCODING, "column '" + e.getValue() + "' holds bytes that are not valid UTF-8");
            }
            if (s == null || s.isBlank()) {
                if (config.required().contains(e.getKey())) {
                    boolean isText = e.getKey().equals("inputs.text") || e.getKey().equals("inputs.body");
                    if (isText && s != null) {
                        throw new Reject(RejectReason.EMPTY_TEXT, "column '" + e.getValue() + "' is empty");
                    }
                    throw new Reject(RejectReason.MISSING_FIELD, e.getKey() + ": column '" + e.getValue() + "' is "
                            + (s == null ? "absent" : "empty"));
                }
                continue;
            }
            values.put(e.getKey(), s);
        }
        Map<String, String> labels = new LinkedHashMap<>();
        for (String task : config.labelTasks()) {
            String raw = values.get("outputs.labels." + task);
            if (raw != null) {
                labels.put(task, raw.strip());
            }
        }
        String id = values.containsKey("id") ? values.get("id").strip() : stem + ":" + row.line();
        String text = values.get("inputs.text");
        String body = values.get("inputs.body");
        if (text == null && body == null) {
            throw new Reject(RejectReason.EMPTY_TEXT, "no input text");
        }
        SupportRecord.Inputs inputs = new SupportRecord.Inputs(text, body == null ? null : values.get("inputs.subject"),
                body, values.get("inputs.question"), values.get("inputs.context"), null);
        return new SupportRecord(id, inputs, new SupportRecord.Outputs(labels, values.get("outputs.answer")),
                new SupportRecord.Meta(fileName, values.get("meta.timestamp"), tags));
    }

    private List<String> splitTags(String s) {
        if (s == null || s.isBlank()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (String t : s.split(java.util.regex.Pattern.quote(config.tagSeparator()))) {
            if (!t.isBlank()) {
                out.add(t.strip());
            }
        }
        return out;
    }

    /** Normalizes text fields, then checks emptiness, length and labels, then redacts. */
    private SupportRecord clean(SupportRecord r, Map<PiiKind, Integer> counts) throws Reject {
        SupportRecord.Inputs in = r.inputs();
        SupportRecord.Inputs normalized = new SupportRecord.Inputs(
                TextNormalizer.normalize(in.text()), emptyToNull(TextNormalizer.normalize(in.subject())),
                TextNormalizer.normalize(in.body()), emptyToNull(TextNormalizer.normalize(in.question())),
                emptyToNull(TextNormalizer.normalize(in.context())),
                in.history().stream().map(t -> new SupportRecord.Turn(t.role(), TextNormalizer.normalize(t.content()))).toList());
        String main = normalized.mainText();
        if ((normalized.text() != null ? normalized.text() : normalized.body()).isEmpty()) {
            throw new Reject(RejectReason.EMPTY_TEXT, "input text is empty after normalization");
        }
        if (main.length() > config.maxChars()) {
            throw new Reject(RejectReason.TEXT_TOO_LONG, "input text has " + main.length() + " characters, more than maxChars "
                    + config.maxChars());
        }
        Map<String, String> labels = new LinkedHashMap<>();
        for (var e : r.outputs().labels().entrySet()) {
            String label = config.resolveLabel(e.getKey(), TextNormalizer.normalize(e.getValue()));
            if (label == null) {
                throw new Reject(RejectReason.UNKNOWN_LABEL, "label '" + e.getValue() + "' is not allowed for task '"
                        + e.getKey() + "'");
            }
            labels.put(e.getKey(), label);
        }
        String answer = emptyToNull(TextNormalizer.normalize(r.outputs().answer()));
        SupportRecord.Inputs redacted = new SupportRecord.Inputs(
                redact(counts, normalized.text()), redact(counts, normalized.subject()), redact(counts, normalized.body()),
                redact(counts, normalized.question()), redact(counts, normalized.context()),
                normalized.history().stream().map(t -> new SupportRecord.Turn(t.role(), redact(counts, t.content()))).toList());
        return new SupportRecord(r.id(), redacted, new SupportRecord.Outputs(labels, redact(counts, answer)), r.meta());
    }

    private String redact(Map<PiiKind, Integer> counts, String s) {
        if (s == null) {
            return null;
        }
        Redaction r = redactor.redact(s);
        r.counts().forEach((k, v) -> counts.merge(k, v, Integer::sum));
        return r.text();
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
