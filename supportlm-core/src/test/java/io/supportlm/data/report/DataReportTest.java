package io.supportlm.data.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.data.SupportRecord;
import io.supportlm.data.pii.PiiKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataReportTest {
    @TempDir Path dir;

    private static SupportRecord rec(String id, String text, String queue) {
        return new SupportRecord(id, SupportRecord.Inputs.ofText(text), new SupportRecord.Outputs(Map.of("queue", queue), null),
                new SupportRecord.Meta("t", null, null));
    }

    private static Map<String, List<SupportRecord>> splits() {
        Map<String, List<SupportRecord>> m = new LinkedHashMap<>();
        m.put("train", List.of(rec("1", "refund please", "billing"), rec("2", "Refund, please!", "billing"),
                rec("3", "my parcel is late and I want to know where it is", "shipping"), rec("4", "mail me at [EMAIL] or [EMAIL]", "account")));
        m.put("test", List.of(rec("5", "refund please", "billing"), rec("6", "where is it", "shipping")));
        return m;
    }

    @Test
    void countsLabelsLengthsDuplicatesAndRedactions() {
        DataReport r = DataReport.of(splits(), null, TokenCounter.WORDS);
        assertEquals(Map.of("train", 2, "test", 1), r.labelCounts().get("queue").get("billing"));
        assertArrayEquals(new int[] {2, 2, 6, 12}, r.lengths().get("train"));
        assertEquals(0, r.exactDuplicates().get("train"));
        assertEquals(1, r.nearDuplicates().get("train"));
        assertEquals(1, r.crossSplitDuplicates());
        assertEquals(Map.of(PiiKind.EMAIL, 2), r.redactions().get("train"));
        assertEquals(2, DataReport.percentile(r.lengths().get("train"), 50));
        assertEquals(12, DataReport.percentile(r.lengths().get("train"), 100));
        assertEquals(6, DataReport.percentile(r.lengths().get("train"), 75));
    }

    @Test
    void writesMarkdownAndPngCharts() throws Exception {
        DataReport r = DataReport.of(splits(), List.of("queue"), TokenCounter.CHARS);
        List<Path> files = ReportWriter.write(r, dir);
        String md = Files.readString(dir.resolve("report.md"));
        assertTrue(md.contains("| billing | 2 | 1 | 3 | 50.0% |"), md);
        assertTrue(md.contains("## Text length (chars)"), md);
        assertTrue(md.contains("![labels-queue.png](labels-queue.png)"), md);
        for (String png : List.of("labels-queue.png", "lengths.png")) {
            byte[] head = Files.readAllBytes(dir.resolve(png));
            assertTrue(head.length > 1000 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G', png);
        }
        assertEquals(3, files.size());
    }
}
