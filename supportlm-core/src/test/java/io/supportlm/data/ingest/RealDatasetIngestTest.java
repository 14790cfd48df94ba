package io.supportlm.data.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.data.SupportRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The shared real datasets must ingest with a mapping and reconcile exactly (skipped when absent). */
class RealDatasetIngestTest {
    /** Walks up from the working directory to find {@code shared/datasets/<relative>}. */
    static Path sharedDataset(String relative) {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("shared/datasets").resolve(relative);
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        Assumptions.abort("shared/datasets/" + relative + " not found above " + Path.of("").toAbsolutePath());
        return null;
    }

    private static final long DOUBLE_SPACE_LINE = 1128; // grep -n "cancel order  732201349959"

    @Test
    void bitextWithMultiLineResponsesIngestsEveryRow() throws Exception {
        Path file = sharedDataset("bitext-support/bitext_support_4k.csv");
        IngestConfig config = new IngestConfig("csv", Map.of("inputs.text", "instruction", "outputs.answer", "response",
                "outputs.labels.intent", "intent", "outputs.labels.category", "category", "meta.tags", "tags"),
                null, null, null, null, "exact", null, List.of());
        IngestResult r = new Ingester(config).ingest(List.of(file));
        // 4,514 rows per SOURCE.md; six instructions repeat an earlier one once whitespace is collapsed
        // ("cancel order  732201349959" with two spaces), checked independently with Python's csv module.
        assertEquals(4514, r.rowsRead());
        assertEquals(0, r.rejections().size(), () -> r.rejections().toString());
        assertEquals(6, r.duplicates().size());
        assertEquals(4508, r.records().size());
        assertTrue(r.duplicates().stream().anyMatch(d -> d.line() == DOUBLE_SPACE_LINE && d.duplicateOf().equals("bitext_support_4k:965")),
                () -> r.duplicates().toString());
        SupportRecord first = r.records().getFirst();
        assertEquals("bitext_support_4k:2", first.id());
        assertEquals("cancel_order", first.label("intent"));
        assertTrue(first.outputs().answer().contains("\n\n1. Firstly"), first.outputs().answer());
        long lastLine = Long.parseLong(r.records().getLast().id().substring("bitext_support_4k:".length()));
        assertTrue(lastLine > 4514, "multi-line responses push line numbers past the row count: " + lastLine);
    }

    @Test
    void banking77ReconcilesWithNearDuplicatesCounted() throws Exception {
        Path file = sharedDataset("banking77/train.csv");
        IngestResult r = new Ingester(IngestConfig.ofMapping(Map.of("inputs.text", "text", "outputs.labels.intent", "category")))
                .ingest(List.of(file));
        assertEquals(10003, r.rowsRead());
        assertEquals(r.rowsRead(), r.records().size() + r.rejections().size() + r.duplicates().size());
        assertEquals(0, r.rejections().size(), () -> r.rejections().toString());
        // 9,972 distinct texts once case and punctuation are ignored (checked independently).
        assertEquals(31, r.duplicates().size());
        assertEquals(77, r.records().stream().map(x -> x.label("intent")).distinct().count());
    }
}
