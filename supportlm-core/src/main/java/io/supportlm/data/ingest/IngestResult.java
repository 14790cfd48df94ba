package io.supportlm.data.ingest;

import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.supportlm.data.SupportRecord;
import io.supportlm.data.pii.PiiKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What an ingest produced. It always reconciles: {@code rowsRead == accepted + rejected + duplicates}
 * (checked when built), so no row is silently lost.
 */
public record IngestResult(long rowsRead, List<SupportRecord> records, List<Rejection> rejections,
                           List<DroppedDuplicate> duplicates, Map<PiiKind, Integer> redactions) {
    public IngestResult {
        records = List.copyOf(records);
        rejections = List.copyOf(rejections);
        duplicates = List.copyOf(duplicates);
        redactions = redactions.isEmpty() ? Map.of() : new EnumMap<>(redactions);
        long sum = (long) records.size() + rejections.size() + duplicates.size();
        if (sum != rowsRead) {
            throw new IllegalStateException("ingest does not reconcile: read " + rowsRead + " rows but accepted "
                    + records.size() + " + rejected " + rejections.size() + " + duplicates " + duplicates.size());
        }
    }

    public Map<RejectReason, Long> rejectionsByReason() {
        Map<RejectReason, Long> m = new EnumMap<>(RejectReason.class);
        rejections.forEach(r -> m.merge(r.reason(), 1L, Long::sum));
        return m;
    }

    /** One line per count; the first line is the reconciliation. */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        sb.append("rows read ").append(rowsRead).append(" = accepted ").append(records.size())
                .append(" + rejected ").append(rejections.size())
                .append(" + duplicates dropped ").append(duplicates.size()).append('\n');
        rejectionsByReason().forEach((k, v) -> sb.append("  rejected ").append(k).append(": ").append(v).append('\n'));
        long exact = duplicates.stream().filter(DroppedDuplicate::exact).count();
        if (!duplicates.isEmpty()) {
            sb.append("  duplicates: ").append(exact).append(" exact, ").append(duplicates.size() - exact).append(" near\n");
        }
        if (!redactions.isEmpty()) {
            sb.append("  redacted: ");
            redactions.forEach((k, v) -> sb.append(k.placeholder()).append(' ').append(v).append("  "));
            sb.setLength(sb.length() - 2);
            sb.append('\n');
        }
        return sb.toString();
    }

    /** Writes the full report (counts, every rejection and every dropped duplicate) as JSON. */
    public void writeReport(Path file) throws IOException {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("rowsRead", rowsRead);
        report.put("accepted", records.size());
        report.put("rejected", rejections.size());
        report.put("duplicatesDropped", duplicates.size());
        report.put("rejectedByReason", new TreeMap<>(rejectionsByReason()));
        report.put("redactions", redactions);
        report.put("rejections", rejections);
        report.put("duplicates", duplicates);
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build().writeValue(file.toFile(), report);
    }
}
