package io.supportlm.sft.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.sft.ChatMessage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SftJsonlTest {
    @TempDir
    Path dir;

    private Path file(String... lines) throws IOException {
        Path f = dir.resolve("data.jsonl");
        Files.writeString(f, String.join("\n", lines) + "\n");
        return f;
    }

    private static ChatMessage user(String s) {
        return new ChatMessage("user", s);
    }

    private static ChatMessage assistant(String s) {
        return new ChatMessage("assistant", s);
    }

    @Test
    void readsSupportRecordsMessagesAndPromptCompletionPairs() throws IOException {
        Path f = file(
                "{\"id\":\"a\",\"inputs\":{\"text\":\"Where is my parcel?\",\"history\":[{\"role\":\"user\",\"content\":\"Hi\"},"
                        + "{\"role\":\"assistant\",\"content\":\"Hello, how can I help?\"}]},\"outputs\":{\"answer\":\"It ships today.\"},"
                        + "\"meta\":{\"source\":\"x\"}}",
                "",
                "{\"id\":\"b\",\"inputs\":{\"subject\":\"Refund\",\"body\":\"I want my money back.\",\"context\":\"Policy: 30 days.\","
                        + "\"question\":\"Can I get a refund?\"},\"outputs\":{\"answer\":\"Yes, within 30 days.\"},\"meta\":{\"source\":\"x\"}}",
                "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"Hi\"},"
                        + "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"Hel\"},{\"type\":\"text\",\"text\":\"lo\"}]}],"
                        + "\"id\":\"extra keys are ignored\"}",
                "{\"prompt\":\"Reset my password\",\"completion\":\"Use the link on the login page.\"}",
                "{\"prompt\":[{\"role\":\"user\",\"content\":\"Hi\"},{\"role\":\"assistant\",\"content\":\"Hello\"},"
                        + "{\"role\":\"user\",\"content\":\"Bye\"}],\"completion\":[{\"role\":\"assistant\",\"content\":\"Goodbye\"}]}");
        SftJsonl.Read<Conversation> read = SftJsonl.readConversations(f, false);
        assertEquals(0, read.skipped());
        List<Conversation> c = read.items();
        assertEquals(5, c.size());
        assertEquals(new Conversation(f + ":1", List.of(user("Hi"), assistant("Hello, how can I help?"), user("Where is my parcel?"),
                assistant("It ships today.")), 3), c.get(0), "history is context; only the answer is trained");
        assertEquals(List.of(user("Policy: 30 days.\n\nRefund\nI want my money back.\n\nCan I get a refund?"),
                assistant("Yes, within 30 days.")), c.get(1).messages(), "context, main text, question");
        assertEquals(f + ":3", c.get(1).source(), "blank lines count in line numbers");
        assertEquals(new Conversation(f + ":4", List.of(new ChatMessage("system", "Be brief."), user("Hi"), assistant("Hello")), 0),
                c.get(2));
        assertEquals(new Conversation(f + ":5", List.of(user("Reset my password"), assistant("Use the link on the login page.")), 1),
                c.get(3));
        assertEquals(3, c.get(4).trainFrom(), "a conversational prompt's assistant turns are not trained");
    }

    private String error(String line) throws IOException {
        Path f = file("{\"prompt\":\"ok\",\"completion\":\"fine\"}", line);
        return assertThrows(IllegalArgumentException.class, () -> SftJsonl.readConversations(f, false)).getMessage();
    }

    @Test
    void badRecordsAreErrorsNamingFileLineAndField() throws IOException {
        String at = dir.resolve("data.jsonl") + ":2: ";
        assertEquals(at + "messages[1].role: 'tool' is not supported (expected system, user or assistant)",
                error("{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"tool\",\"content\":\"b\"}]}"));
        assertEquals(at + "messages[0].content: missing", error("{\"messages\":[{\"role\":\"user\"}]}"));
        assertEquals(at + "messages[1].content: expected a string, got NUMBER",
                error("{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":3}]}"));
        assertEquals(at + "messages[2]: the conversation must end with an assistant reply (turns after the last reply carry no loss)",
                error("{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"},"
                        + "{\"role\":\"user\",\"content\":\"c\"}]}"));
        assertEquals(at + "messages[2]: a system message may only come first",
                error("{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"},"
                        + "{\"role\":\"system\",\"content\":\"c\"},{\"role\":\"assistant\",\"content\":\"d\"}]}"));
        assertTrue(error("{\"messages\": [").startsWith(at + "not valid JSON: "));
        assertEquals(at + "unknown record format: expected the keys inputs (a supportlm record), messages, or prompt + completion, "
                + "got [mesages]", error("{\"mesages\":[]}"));
        assertTrue(error("{\"prompt\":\"a\",\"chosen\":\"b\",\"rejected\":\"c\"}").startsWith(at + "a preference record (chosen/rejected) is DPO data"));
        assertEquals(at + "completion[0].role: the completion holds assistant turns only, got 'user'",
                error("{\"prompt\":\"a\",\"completion\":[{\"role\":\"user\",\"content\":\"b\"}]}"));
        assertTrue(error("{\"id\":\"r\",\"inputs\":{\"text\":\"a\",\"tpyo\":1},\"meta\":{\"source\":\"x\"}}").startsWith(at + "Unrecognized field \"tpyo\""));
        assertEquals(at + "inputs.history[1]: a system message may only come first",
                error("{\"id\":\"r\",\"inputs\":{\"text\":\"a\",\"history\":[{\"role\":\"user\",\"content\":\"x\"},"
                        + "{\"role\":\"system\",\"content\":\"y\"}]},\"outputs\":{\"answer\":\"b\"},\"meta\":{\"source\":\"x\"}}"));
    }

    @Test
    void aRecordWithoutReplyIsAnErrorOrSkippedAndCounted() throws IOException {
        Path f = file("{\"prompt\":\"ok\",\"completion\":\"fine\"}",
                "{\"id\":\"r\",\"inputs\":{\"text\":\"no answer here\"},\"meta\":{\"source\":\"x\"}}",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"only a question\"}]}",
                "{\"prompt\":\"a\",\"completion\":\"  \"}",
                "{\"prompt\":\"ok again\",\"completion\":\"fine again\"}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SftJsonl.readConversations(f, false));
        assertTrue(e.getMessage().startsWith(f + ":2: outputs.answer: missing (a record without an assistant reply cannot be trained on"),
                e.getMessage());
        SftJsonl.Read<Conversation> read = SftJsonl.readConversations(f, true);
        assertEquals(2, read.items().size());
        assertEquals(3, read.skipped());
        assertEquals(List.of(f + ":2", f + ":3", f + ":4"), read.skippedSources());
    }

    @Test
    void readsPreferencePairsWithStringOrConversationalFields() throws IOException {
        Path f = file("{\"prompt\":\"Where is my parcel?\",\"chosen\":\"It ships today.\",\"rejected\":\"No idea.\"}",
                "{\"prompt\":[{\"role\":\"system\",\"content\":\"Be kind.\"},{\"role\":\"user\",\"content\":\"Hi\"}],"
                        + "\"chosen\":[{\"role\":\"assistant\",\"content\":\"Hello!\"}],\"rejected\":[{\"role\":\"assistant\",\"content\":\"What.\"}]}");
        List<PreferencePair> pairs = SftJsonl.readPreferences(f, false).items();
        assertEquals(new PreferencePair(f + ":1", List.of(user("Where is my parcel?")), "It ships today.", "No idea."), pairs.get(0));
        assertEquals(new PreferencePair(f + ":2", List.of(new ChatMessage("system", "Be kind."), user("Hi")), "Hello!", "What."),
                pairs.get(1));
        assertEquals(1, pairs.get(0).rejectedConversation().trainFrom());

        Path bad = file("{\"prompt\":\"a\",\"chosen\":[{\"role\":\"user\",\"content\":\"b\"}],\"rejected\":\"c\"}");
        assertEquals(bad + ":1: chosen: expected a string or one assistant message, got 1 message(s) starting with role 'user'",
                assertThrows(IllegalArgumentException.class, () -> SftJsonl.readPreferences(bad, false)).getMessage());
        Path implicit = file("{\"chosen\":[{\"role\":\"user\",\"content\":\"a\"}],\"rejected\":[]}");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SftJsonl.readPreferences(implicit, false)).getMessage()
                .startsWith(implicit + ":1: prompt: missing (the implicit-prompt form"));
        Path noRejected = file("{\"prompt\":\"a\",\"chosen\":\"b\"}");
        assertEquals(1, SftJsonl.readPreferences(noRejected, true).skipped());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SftJsonl.readPreferences(noRejected, false)).getMessage()
                .startsWith(noRejected + ":1: rejected: missing"));
    }

    @Test
    void writtenConversationsReadBackIdentically() throws IOException {
        List<Conversation> original = List.of(
                Conversation.of("a", List.of(user("Hi"), assistant("Hello"), user("Bye"), assistant("Goodbye"))),
                new Conversation("b", List.of(user("Hi"), assistant("Hello"), user("Bye"), assistant("Goodbye")), 3),
                Conversation.of("c", List.of(user("only"), assistant("one"))).withDefaultSystem("Be kind."));
        Path f = dir.resolve("out/conversations.jsonl");
        SftJsonl.writeConversations(f, original);
        List<String> lines = Files.readAllLines(f);
        assertTrue(lines.get(0).startsWith("{\"id\":\"a\",\"messages\":["), lines.get(0));
        assertTrue(lines.get(1).startsWith("{\"id\":\"b\",\"prompt\":["), "context turns stay context: " + lines.get(1));
        List<Conversation> back = SftJsonl.readConversations(f, false).items();
        for (int i = 0; i < original.size(); i++) {
            assertEquals(original.get(i).messages(), back.get(i).messages());
            assertEquals(original.get(i).trainFrom() == 0 || original.get(i).hasSystem() && original.get(i).trainFrom() == 1
                    ? 0 : original.get(i).trainFrom(), back.get(i).trainFrom());
        }
    }
}
