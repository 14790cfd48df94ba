package io.supportlm.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SupportRecordTest {
    @TempDir Path dir;

    private static SupportRecord email() {
        return new SupportRecord("t-1", new SupportRecord.Inputs(null, "Refund", "Charged twice", null, null,
                List.of(new SupportRecord.Turn("user", "hello"))),
                new SupportRecord.Outputs(Map.of("queue", "billing", "priority", "high"), "Sorry about that."),
                new SupportRecord.Meta("synth", "2024-03-15T10:00:00Z", List.of("pii")));
    }

    @Test
    void jsonlRoundTripKeepsEveryField() throws Exception {
        Path file = dir.resolve("a.jsonl");
        SupportRecord r = email();
        SupportRecord plain = new SupportRecord("t-2", SupportRecord.Inputs.ofText("hi"), null,
                new SupportRecord.Meta("x", null, null));
        Jsonl.write(file, List.of(r, plain));
        assertEquals(List.of(r, plain), Jsonl.read(file));
        String first = Files.readAllLines(file).getFirst();
        assertTrue(first.startsWith("{\"id\":\"t-1\",\"inputs\":{\"subject\":\"Refund\""), first);
        assertEquals("{\"id\":\"t-2\",\"inputs\":{\"text\":\"hi\"},\"meta\":{\"source\":\"x\"}}", Files.readAllLines(file).get(1));
    }

    @Test
    void mainTextJoinsSubjectAndBody() {
        assertEquals("Refund\nCharged twice", email().mainText());
    }

    @Test
    void badLinesNameFileLineAndField() throws Exception {
        Path file = dir.resolve("bad.jsonl");
        Files.writeString(file, "{\"id\":\"a\",\"inputs\":{\"text\":\"x\"},\"meta\":{\"source\":\"s\"}}\n\n"
                + "{\"id\":\"b\",\"inputs\":{\"text\":\"x\",\"body\":\"y\"},\"meta\":{\"source\":\"s\"}}\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Jsonl.read(file));
        assertTrue(e.getMessage().contains("bad.jsonl:3") && e.getMessage().contains("exactly one of 'text' or 'body'"),
                e.getMessage());
        Files.writeString(file, "{\"id\":\"a\",\"inputs\":{\"text\":\"x\"},\"lables\":{}}\n");
        e = assertThrows(IllegalArgumentException.class, () -> Jsonl.read(file));
        assertTrue(e.getMessage().contains("lables"), e.getMessage());
    }

    @Test
    void normalizerCleansTextAndKeysNearDuplicates() {
        assertEquals("Café\nline two", TextNormalizer.normalize("  Cafe\u0301\u200B \r\n  line\t\ttwo\u0007 "));
        assertEquals("a\n\nb", TextNormalizer.normalize("a\n\n\n\n b"));
        assertEquals(TextNormalizer.dedupKey("Refund please!!"), TextNormalizer.dedupKey("  refund   PLEASE"));
    }
}
