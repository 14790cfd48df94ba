package io.supportlm.data.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.data.SupportRecord;
import io.supportlm.data.pii.PiiKind;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IngesterTest {
    @TempDir Path dir;

    private static final Map<String, String> TICKET_MAPPING = Map.of(
            "id", "ticket_id", "inputs.subject", "Subject", "inputs.body", "Body", "outputs.labels.queue", "Queue",
            "meta.tags", "Tags");

    private IngestConfig ticketConfig() {
        return new IngestConfig("csv", TICKET_MAPPING,
                Map.of("queue", Map.of("Billing and Payments", "billing", "Technical Support", "tech_support")),
                null, null, 200, null, ";", null);
    }

    @Test
    void csvWithBomAndMultiLineFieldsReconcilesAndReportsEveryRejectionWithItsLine() throws Exception {
        String csv = """
                ticket_id,Subject,Body,Queue,Tags
                T1,Double charge,"Hello,
                I was charged twice for order #A-10293 ($49.99).
                Card 4111 1111 1111 1111, mail jane@example.com",Billing and Payments,pii;email
                T2,Crash,App 2.4.1 crashes on start,Technical Support,
                T3,Hi,"   ",Technical Support,
                T4,Lost,Where is my parcel?,Shipping,
                T5,crash,"app 2.4.1 CRASHES on start!!",Technical Support,
                T6,Too long,%s,Technical Support,
                T7,Broken,only,four,fields,here
                T8,,No subject but fine,Billing and Payments,
                T9,Missing queue,Where is my refund?,,
                """.formatted("x".repeat(300));
        Path file = dir.resolve("tickets.csv");
        Files.write(file, concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, csv.getBytes(StandardCharsets.UTF_8)));

        IngestResult r = new Ingester(ticketConfig()).ingest(List.of(file));

        assertEquals(9, r.rowsRead());
        assertEquals(List.of("T1", "T2", "T8"), r.records().stream().map(SupportRecord::id).toList());
        assertEquals(List.of("tickets.csv:6: EMPTY_TEXT", "tickets.csv:7: UNKNOWN_LABEL", "tickets.csv:9: TEXT_TOO_LONG",
                        "tickets.csv:10: MALFORMED_ROW", "tickets.csv:12: MISSING_FIELD"),
                r.rejections().stream().map(x -> x.file() + ":" + x.line() + ": " + x.reason()).toList());
        assertEquals(1, r.duplicates().size());
        assertEquals("T2", r.duplicates().getFirst().duplicateOf());
        assertEquals(8, r.duplicates().getFirst().line()); // T1 spans lines 2-4

        SupportRecord t1 = r.records().getFirst();
        assertEquals("billing", t1.label("queue"));
        assertEquals(List.of("pii", "email"), t1.meta().tags());
        assertEquals("tickets.csv", t1.meta().source());
        assertEquals("Hello,\nI was charged twice for order #A-10293 ($49.99).\nCard [CARD], mail [EMAIL]", t1.inputs().body());
        assertEquals(Map.of(PiiKind.CARD, 1, PiiKind.EMAIL, 1), r.redactions());
        assertNull(r.records().get(2).inputs().subject());
        assertTrue(r.summary().startsWith("rows read 9 = accepted 3 + rejected 5 + duplicates dropped 1"), r.summary());

        Path report = dir.resolve("report.json");
        r.writeReport(report);
        String json = Files.readString(report);
        assertTrue(json.contains("\"line\" : 12") && json.contains("MISSING_FIELD"), json);
    }

    @Test
    void invalidUtf8IsReportedAsBadEncodingForThatRowOnly() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.write("text,label\nfine row,a\nbroken ".getBytes(StandardCharsets.UTF_8));
        bytes.write(new byte[] {(byte) 0xC3, (byte) 0x28});
        bytes.write(" row,a\nlast row,a\n".getBytes(StandardCharsets.UTF_8));
        Path file = dir.resolve("enc.csv");
        Files.write(file, bytes.toByteArray());
        IngestResult r = new Ingester(IngestConfig.ofMapping(Map.of("inputs.text", "text", "outputs.labels.intent", "label")))
                .ingest(List.of(file));
        assertEquals(3, r.rowsRead(), r.summary() + r.rejections());
        assertEquals(2, r.records().size());
        assertEquals(RejectReason.BAD_ENCODING, r.rejections().getFirst().reason());
        assertEquals(3, r.rejections().getFirst().line());
    }

    @Test
    void tsvJsonAndJsonlInputsMapTheSameWay() throws Exception {
        Path tsv = dir.resolve("a.tsv");
        Files.writeString(tsv, "msg\tintent\nreset my password\taccount\n");
        Path json = dir.resolve("b.json");
        Files.writeString(json, "[\n {\"fields\": {\"msg\": \"where is my parcel\"}, \"intent\": \"shipping\"},\n"
                + " {\"fields\": {}, \"intent\": \"shipping\"}\n]");
        Path jsonl = dir.resolve("c.jsonl");
        Files.writeString(jsonl, "{\"fields\": {\"msg\": \"cancel my plan\"}, \"intent\": \"account\"}\n{not json\n");
        IngestConfig tsvConfig = IngestConfig.ofMapping(Map.of("inputs.text", "msg", "outputs.labels.intent", "intent"));
        IngestConfig jsonConfig = IngestConfig.ofMapping(Map.of("inputs.text", "fields.msg", "outputs.labels.intent", "intent"));

        IngestResult a = new Ingester(tsvConfig).ingest(List.of(tsv));
        assertEquals("account", a.records().getFirst().label("intent"));
        IngestResult b = new Ingester(jsonConfig).ingest(List.of(json, jsonl));
        assertEquals(4, b.rowsRead());
        assertEquals(List.of("where is my parcel", "cancel my plan"),
                b.records().stream().map(SupportRecord::mainText).toList());
        assertEquals(List.of("b.json:3: MISSING_FIELD", "c.jsonl:2: MALFORMED_ROW"),
                b.rejections().stream().map(x -> x.file() + ":" + x.line() + ": " + x.reason()).toList());
    }

    @Test
    void canonicalJsonlIsValidatedRecordByRecord() throws Exception {
        Path file = dir.resolve("data.jsonl");
        Files.writeString(file, String.join("\n",
                "{\"id\":\"a\",\"inputs\":{\"text\":\"My IP is 10.1.2.3\"},\"outputs\":{\"labels\":{\"queue\":\"tech_support\"}},\"meta\":{\"source\":\"s\"}}",
                "{\"id\":\"a\",\"inputs\":{\"text\":\"another\"},\"meta\":{\"source\":\"s\"}}",
                "{\"id\":\"c\",\"inputs\":{},\"meta\":{\"source\":\"s\"}}",
                "{\"id\":\"d\",\"inputs\":{\"text\":\"\\u200B \"},\"meta\":{\"source\":\"s\"}}"));
        IngestResult r = new Ingester(IngestConfig.canonical()).ingest(List.of(file));
        assertEquals(4, r.rowsRead());
        assertEquals("My IP is [IP]", r.records().getFirst().mainText());
        assertEquals(List.of(RejectReason.DUPLICATE_ID, RejectReason.MISSING_FIELD, RejectReason.EMPTY_TEXT),
                r.rejections().stream().map(Rejection::reason).toList());
    }

    @Test
    void anUnterminatedQuoteIsOneRejectedRowNotASilentLoss() throws Exception {
        Path file = dir.resolve("q.csv");
        Files.writeString(file, "text,label\nfine,a\n\n\"never closed,a\nswallowed,a\n");
        IngestResult r = new Ingester(IngestConfig.ofMapping(Map.of("inputs.text", "text"))).ingest(List.of(file));
        assertEquals(2, r.rowsRead(), "the blank line is not a row");
        assertEquals(1, r.records().size());
        Rejection broken = r.rejections().getFirst();
        assertEquals(RejectReason.MALFORMED_ROW, broken.reason());
        assertEquals(4, broken.line());
        assertTrue(broken.detail().contains("rest of file skipped"), broken.detail());
    }

    @Test
    void configErrorsNameTheProblem() throws Exception {
        Path yaml = dir.resolve("c.yaml");
        Files.writeString(yaml, "mapping:\n  inputs.text: body\n  outputs.label.queue: Queue\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IngestConfig.load(yaml));
        assertTrue(e.getMessage().contains("outputs.label.queue"), e.getMessage());
        Files.writeString(yaml, "mapping:\n  inputs.text: body\nmaxchars: 3\n");
        e = assertThrows(IllegalArgumentException.class, () -> IngestConfig.load(yaml));
        assertTrue(e.getMessage().contains("maxchars"), e.getMessage());
        Files.writeString(yaml, "mapping:\n  inputs.text: body\nredact: [email, ip]\ndedup: exact\n");
        IngestConfig ok = IngestConfig.load(yaml);
        assertEquals(java.util.EnumSet.of(PiiKind.EMAIL, PiiKind.IP_ADDRESS), ok.redactKinds());

        Path csv = dir.resolve("x.csv");
        Files.writeString(csv, "text\nhello\n");
        e = assertThrows(IllegalArgumentException.class, () -> new Ingester(ok).ingest(List.of(csv)));
        assertTrue(e.getMessage().contains("column 'body' is not in the header [text]"), e.getMessage());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
