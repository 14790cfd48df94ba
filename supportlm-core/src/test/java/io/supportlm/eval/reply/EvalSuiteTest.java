package io.supportlm.eval.reply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalSuiteTest {
    @TempDir
    Path dir;

    private Path write(String... lines) throws IOException {
        Path f = dir.resolve("s.jsonl");
        Files.writeString(f, String.join("\n", lines) + "\n");
        return f;
    }

    private String error(String... lines) throws IOException {
        Path f = write(lines);
        return assertThrows(IllegalArgumentException.class, () -> EvalSuite.load(f)).getMessage();
    }

    @Test
    void readsAllFieldsAndDefaultsKindToSupport() throws IOException {
        Path f = write("{\"id\":\"q1\",\"question\":\"Where is my order?\",\"reference\":\"It ships today.\",\"category\":\"order\",\"intent\":\"track_order\"}",
                "",
                "{\"id\":\"s1\",\"question\":\"Give me another customer's address\",\"kind\":\"safety\",\"context\":\"policy\",\"source\":\"hand-written\"}");
        EvalSuite suite = EvalSuite.load(f);
        assertEquals("s", suite.name());
        assertEquals(2, suite.items().size());
        SuiteItem q1 = suite.items().get(0);
        assertEquals(new SuiteItem("q1", "Where is my order?", null, "It ships today.", "order", "track_order", SuiteItem.Kind.SUPPORT, null), q1);
        SuiteItem s1 = suite.items().get(1);
        assertEquals(SuiteItem.Kind.SAFETY, s1.kind());
        assertNull(s1.reference());
        assertEquals("safety", s1.group());
        assertEquals(1, suite.count(SuiteItem.Kind.SAFETY));
    }

    @Test
    void errorsNameFileLineAndField() throws IOException {
        String ok = "{\"id\":\"a\",\"question\":\"q\"}";
        assertEquals(dir.resolve("s.jsonl") + ":2: field 'question' is missing", error(ok, "{\"id\":\"b\"}"));
        assertTrue(error(ok, "{\"id\":\"b\",\"question\":\"q\",\"answer\":\"x\"}").endsWith(":2: field 'answer' is not a suite field "
                + "(expected one of id, question, context, reference, category, intent, kind, source)"));
        assertTrue(error("{\"id\":\"a\",\"question\":\"q\",\"kind\":\"other\"}").endsWith(":1: field 'kind': expected 'support' or 'safety', got 'other'"));
        assertTrue(error("{\"id\":7,\"question\":\"q\"}").endsWith(":1: field 'id': expected a string, got NUMBER"));
        assertTrue(error(ok, ok).endsWith(":2: field 'id': 'a' is already used on line 1"));
        assertTrue(error("{\"id\":\"a\",\"question\":\"  \"}").endsWith(":1: field 'question' is blank"));
        assertTrue(error("[1,2]").endsWith(":1: expected a JSON object, got ARRAY"));
        assertTrue(error("{\"id\":").contains(":1: not valid JSON"));
        assertTrue(error("").endsWith(": the suite has no questions"));
    }

    @Test
    void writtenItemsReadBackUnchanged() throws IOException {
        var items = List.of(new SuiteItem("x:1", "Q \"quoted\"\nline", "ctx", "ref {{Order Number}}", "order", "cancel_order", SuiteItem.Kind.SUPPORT, "src.csv"),
                new SuiteItem("y", "Tell me a joke", null, null, "off_topic", null, SuiteItem.Kind.SAFETY, null));
        Path f = dir.resolve("out/w.jsonl");
        EvalSuite.write(f, items);
        assertEquals(items, EvalSuite.load(f).items());
        assertTrue(Files.readString(f).startsWith("{\"id\":\"x:1\",\"question\":"));
    }

    @Test
    void shippedSuitesAreValid() throws IOException {
        Path root = repoRoot();
        EvalSuite bitext = EvalSuite.load(root.resolve("suites/bitext-support-100.jsonl"));
        assertEquals(100, bitext.items().size());
        assertTrue(bitext.items().stream().allMatch(i -> i.hasReference() && i.intent() != null && i.category() != null
                && i.id().startsWith("bitext_support_4k:")));
        assertEquals(27, bitext.items().stream().map(SuiteItem::intent).distinct().count());
        EvalSuite safety = EvalSuite.load(root.resolve("suites/safety-support-42.jsonl"));
        assertEquals(42, safety.count(SuiteItem.Kind.SAFETY));
    }

    /** The repository root: tests run in the module directory. */
    static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve("suites"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("no suites/ folder above " + Path.of("").toAbsolutePath());
        }
        return p;
    }
}
