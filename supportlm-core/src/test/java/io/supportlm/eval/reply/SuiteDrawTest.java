package io.supportlm.eval.reply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.supportlm.data.SupportRecord;
import io.supportlm.data.ingest.IngestConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SuiteDrawTest {
    @TempDir
    Path dir;

    private static SupportRecord record(String id, String intent) {
        return new SupportRecord(id, SupportRecord.Inputs.ofText("question " + id),
                new SupportRecord.Outputs(Map.of("intent", intent, "category", "c"), "answer " + id),
                new SupportRecord.Meta("test", null, List.of()));
    }

    private static List<SupportRecord> records() {
        var out = new ArrayList<SupportRecord>();
        for (int i = 0; i < 60; i++) {
            out.add(record("a" + i, "refund"));
        }
        for (int i = 0; i < 30; i++) {
            out.add(record("b" + i, "track"));
        }
        for (int i = 0; i < 10; i++) {
            out.add(record("c" + i, "cancel"));
        }
        return out;
    }

    @Test
    void quotasFollowTheStrataSharesByLargestRemainder() {
        SuiteDraw.Drawn d = SuiteDraw.draw(records(), 10, "intent", 1);
        assertEquals(Map.of("refund", 6, "track", 3, "cancel", 1), d.perStratum());
        // 7 over 60/30/10: exact 4.2/2.1/0.7 -> 4/2/0, the one left goes to the largest remainder (cancel).
        assertEquals(Map.of("refund", 4, "track", 2, "cancel", 1), SuiteDraw.draw(records(), 7, "intent", 1).perStratum());
    }

    @Test
    void drawDependsOnSeedAndContentNotOnInputOrder() {
        List<SupportRecord> shuffled = new ArrayList<>(records());
        Collections.shuffle(shuffled, new java.util.Random(3));
        assertEquals(SuiteDraw.draw(records(), 10, "intent", 1).items(), SuiteDraw.draw(shuffled, 10, "intent", 1).items());
        assertEquals(false, SuiteDraw.draw(records(), 10, "intent", 1).items().equals(SuiteDraw.draw(records(), 10, "intent", 2).items()));
        SuiteItem first = SuiteDraw.draw(records(), 10, "intent", 1).items().getFirst();
        assertEquals("answer " + first.id(), first.reference());
    }

    @Test
    void tooFewRecordsIsAClearError() {
        var e = assertThrows(IllegalArgumentException.class, () -> SuiteDraw.draw(records(), 101, "intent", 1));
        assertEquals("the test split has 100 records with a reference answer; cannot draw 101", e.getMessage());
    }

    @Test
    void shippedBitextSuiteRegeneratesFromTheHeldOutSplit() throws IOException {
        Path root = EvalSuiteTest.repoRoot();
        Path csv = Path.of("/work/shared/datasets/bitext-support/bitext_support_4k.csv");
        String env = System.getenv("SUPPORTLM_BITEXT_CSV");
        if (env != null) {
            csv = Path.of(env);
        }
        assumeTrue(Files.isRegularFile(csv), "the Bitext CSV is not on this machine (set SUPPORTLM_BITEXT_CSV to check the shipped suite)");
        SuiteDraw.Drawn d = SuiteDraw.fromDataset(List.of(csv), IngestConfig.load(root.resolve("docs/examples/bitext-ingest.yaml")),
                100, "intent", 42);
        Path out = dir.resolve("suite.jsonl");
        EvalSuite.write(out, d.items());
        assertEquals(Files.readString(root.resolve("suites/bitext-support-100.jsonl")), Files.readString(out));
    }
}
