package io.supportlm.data.split;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.data.SupportRecord;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SplitterTest {
    private static SupportRecord rec(String id, String text, String queue, String... tags) {
        return new SupportRecord(id, SupportRecord.Inputs.ofText(text), new SupportRecord.Outputs(Map.of("queue", queue), null),
                new SupportRecord.Meta("test", null, List.of(tags)));
    }

    private static List<SupportRecord> dataset() {
        List<SupportRecord> out = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            out.add(rec("b" + i, "billing question number " + i, "billing", "lang=en"));
        }
        for (int i = 0; i < 200; i++) {
            out.add(rec("s" + i, "shipping question number " + i, "shipping", i % 2 == 0 ? "lang=en" : "lang=de"));
        }
        for (int i = 0; i < 50; i++) { // near-duplicates of billing texts: must follow their originals
            out.add(rec("d" + i, "Billing question, number " + i + "!", "billing"));
        }
        out.add(rec("rare1", "a very rare request", "legal"));
        out.add(rec("rare2", "another rare request", "legal"));
        return out;
    }

    @Test
    void stratifiedFractionsHoldPerClass() {
        SplitResult r = new Splitter(SplitConfig.defaults(7, "queue")).split(dataset());
        assertEquals(852, r.train().size() + r.validation().size() + r.test().size());
        // 600 distinct billing texts (the near-duplicates join their originals' groups): 10% is 60 groups.
        assertEquals(60, r.validation().stream().filter(x -> x.id().startsWith("b")).count());
        assertEquals(20, r.test().stream().filter(x -> x.label("queue").equals("shipping")).count());
        assertTrue(r.train().stream().anyMatch(x -> x.id().equals("rare1")) && r.train().stream().anyMatch(x -> x.id().equals("rare2")));
        assertEquals(1, r.warnings().size());
        assertTrue(r.warnings().getFirst().contains("'legal' has only 2"), r.warnings().toString());
    }

    @Test
    void nearDuplicatesNeverCrossSplits() {
        SplitResult r = new Splitter(SplitConfig.defaults(3, "queue")).split(dataset());
        Splitter.checkNoLeakage(r.byName());
        for (var split : r.byName().values()) {
            for (SupportRecord x : split) {
                if (x.id().startsWith("d")) {
                    String original = "b" + x.id().substring(1);
                    assertTrue(split.stream().anyMatch(y -> y.id().equals(original)), x.id() + " separated from " + original);
                }
            }
        }
    }

    @Test
    void sameSeedSameSplitsWhateverTheInputOrder() {
        List<SupportRecord> shuffled = new ArrayList<>(dataset());
        Collections.shuffle(shuffled, new Random(1));
        SplitResult a = new Splitter(SplitConfig.defaults(7, "queue")).split(dataset());
        SplitResult b = new Splitter(SplitConfig.defaults(7, "queue")).split(shuffled);
        SplitResult c = new Splitter(SplitConfig.defaults(8, "queue")).split(dataset());
        assertEquals(a, b);
        assertNotEquals(a.test(), c.test());
    }

    @Test
    void stratifiesByTagPrefix() {
        SplitResult r = new Splitter(SplitConfig.defaults(7, "tag:lang=")).split(dataset());
        assertEquals(10, r.test().stream().filter(x -> x.meta().tags().contains("lang=de")).count());
    }

    @Test
    void leakageCheckNamesTheOffendingRecords() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Splitter.checkNoLeakage(Map.of(
                "train", List.of(rec("x", "Refund please", "billing")),
                "test", List.of(rec("y", "refund, PLEASE!", "billing")))));
        assertTrue(e.getMessage().contains("is a near-duplicate of"), e.getMessage());
    }

    @Test
    void badFractionsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new SplitConfig(0.8, 0.1, 0.2, 1, null));
        assertThrows(IllegalArgumentException.class, () -> new SplitConfig(0, 0.5, 0.5, 1, null));
    }

    @Test
    void tinyInputsDoNotCrash() {
        SplitResult r = new Splitter(SplitConfig.defaults(1, "queue")).split(List.of(rec("only", "one record", "billing")));
        assertEquals(1, r.train().size());
        assertEquals(0, new Splitter(SplitConfig.defaults(1, null)).split(List.of()).train().size());
    }
}
