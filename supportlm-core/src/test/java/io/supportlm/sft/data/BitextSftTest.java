package io.supportlm.sft.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.data.SupportRecord;
import io.supportlm.sft.ChatMessage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BitextSftTest {
    @TempDir
    Path dir;

    /** A file of the checkout, found above the working directory (Maven runs tests in the module). */
    static Path repoFile(String relative) {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.exists(p.resolve(relative))) {
                return p.resolve(relative);
            }
        }
        throw new IllegalStateException(relative + " not found above " + Path.of("").toAbsolutePath());
    }

    @Test
    void eachRecordBecomesInstructionThenResponseInEverySplit() throws IOException {
        StringBuilder csv = new StringBuilder(
                "context,role,instruction,intent,entity_type,entity_value,start_offset,end_offset,category,tags,response\n");
        String[] orders = {"cancel my order 1", "how do I cancel order 22", "I want to cancel purchase 333",
            "cancel order 4444 please", "need to cancel my order 55555", "help me cancel order 6", "cancelling order 77",
            "cancel the order 888", "stop order 9999"};
        for (int i = 0; i < orders.length; i++) {
            csv.append("customer support,virtual assistant,").append(orders[i]).append(",cancel_order,,,,,ORDER,BL,\"Sure.\n\n")
                    .append("1. Log in to {{Website URL}}.\n2. Cancel order ").append(i).append(".\"\n");
        }
        Path file = dir.resolve("bitext.csv");
        Files.writeString(file, csv);
        BitextSft.Splits splits = BitextSft.split(file, repoFile("docs/examples/bitext-ingest.yaml"));
        Map<String, Integer> counts = BitextSft.writeSplits(splits, dir.resolve("sft"));
        assertEquals(Map.of("train", 7, "validation", 1, "test", 1), counts);
        int read = 0;
        for (String split : List.of("train", "validation", "test")) {
            List<Conversation> back = SftJsonl.readConversations(dir.resolve("sft").resolve(split + ".jsonl"), false).items();
            List<SupportRecord> records = splits.split().byName().get(split);
            for (int i = 0; i < back.size(); i++) {
                SupportRecord r = records.get(i);
                assertEquals(List.of(new ChatMessage("user", r.inputs().text()), new ChatMessage("assistant", r.outputs().answer())),
                        back.get(i).messages());
                assertTrue(r.outputs().answer().startsWith("Sure.\n\n1. Log in to {{Website URL}}."), "multi-line responses stay whole");
                assertEquals(0, back.get(i).trainFrom());
            }
            read += back.size();
        }
        assertEquals(orders.length, read);
    }
}
