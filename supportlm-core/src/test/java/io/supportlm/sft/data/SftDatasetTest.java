package io.supportlm.sft.data;

import static io.supportlm.sft.data.SftFixtures.labelledRuns;
import static io.supportlm.sft.data.SftFixtures.text;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.model.hf.HfTokenizer;
import io.supportlm.model.hf.ModelDirectory;
import io.supportlm.model.init.ModelInit;
import io.supportlm.sft.ChatMessage;
import io.supportlm.sft.SftExample;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SftDatasetTest {
    @TempDir
    Path dir;

    private static ChatMessage system(String s) {
        return new ChatMessage("system", s);
    }

    private static ChatMessage user(String s) {
        return new ChatMessage("user", s);
    }

    private static ChatMessage assistant(String s) {
        return new ChatMessage("assistant", s);
    }

    private static SftDataset encode(SftFixtures.Model m, SftDataConfig config, List<ChatMessage> messages) {
        return SftDataset.encode(List.of(Conversation.of("t:1", messages)), 0, m.encoder(), config);
    }

    /** system, then exchanges 1..n: "question k?" / "answer number k." */
    private static List<ChatMessage> exchanges(int n) {
        List<ChatMessage> m = new ArrayList<>(List.of(system("Be brief.")));
        for (int k = 1; k <= n; k++) {
            m.add(user("question " + k + "?"));
            m.add(assistant("answer number " + k + "."));
        }
        return m;
    }

    @Test
    void truncationDropsTheOldestExchangesAndKeepsTheSystemPrompt() {
        try (var m = SftFixtures.smolLm2(dir)) {
            List<ChatMessage> all = exchanges(4);
            List<ChatMessage> latestTwo = new ArrayList<>(List.of(all.get(0)));
            latestTwo.addAll(all.subList(5, 9));
            SftExample expected = m.encoder().encode(Conversation.of("t:1", latestTwo)).example();
            SftDataset d = encode(m, SftDataConfig.defaults(expected.length()), all);
            SftExample e = d.examples().getFirst();
            assertArrayEquals(expected.ids(), e.ids(), text(m.tokenizer(), e.ids()));
            assertArrayEquals(expected.labels(), e.labels());
            assertEquals(List.of("answer number 3.<|im_end|>", "answer number 4.<|im_end|>"), labelledRuns(m.tokenizer(), e));
            assertTrue(text(m.tokenizer(), e.ids()).startsWith("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nquestion 3?"));
            assertEquals(1, d.stats().truncated());
            assertEquals(0, d.stats().repliesCut());
            // one token more and three exchanges fit
            SftExample longer = encode(m, SftDataConfig.defaults(expected.length() + 50), all).examples().getFirst();
            assertTrue(text(m.tokenizer(), longer.ids()).contains("question 2?"));
            assertFalse(text(m.tokenizer(), longer.ids()).contains("question 1?"));
        }
    }

    @Test
    void aConversationThatFitsIsUntouched() {
        try (var m = SftFixtures.smolLm2(dir)) {
            SftExample whole = m.encoder().encode(Conversation.of("t:1", exchanges(4))).example();
            SftDataset d = encode(m, SftDataConfig.defaults(whole.length()), exchanges(4));
            assertArrayEquals(whole.ids(), d.examples().getFirst().ids());
            assertEquals(0, d.stats().truncated());
        }
    }

    @Test
    void aLongLastQuestionLosesItsStartAndTheReplyKeepsItsEos() {
        try (var m = SftFixtures.smolLm2(dir)) {
            String question = "x".repeat(200) + " the actual question at the end?";
            SftDataset d = encode(m, SftDataConfig.defaults(100), List.of(system("Be brief."), user(question), assistant("Short answer.")));
            SftExample e = d.examples().getFirst();
            assertEquals(100, e.length(), "the prompt is cut just enough");
            String t = text(m.tokenizer(), e.ids());
            assertTrue(t.endsWith("<|im_start|>assistant\nShort answer.<|im_end|>"), t);
            String kept = t.substring("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n".length(), t.indexOf("<|im_end|>\n<|im_start|>assistant"));
            assertTrue(question.endsWith(kept) && kept.endsWith("the actual question at the end?"), kept);
            assertEquals(List.of("Short answer.<|im_end|>"), labelledRuns(m.tokenizer(), e));
            assertEquals(1, d.stats().truncated());
            assertEquals(0, d.stats().repliesCut());
        }
    }

    @Test
    void aLongReplyIsCutAtItsEndAndItsEosIsNotLearned() {
        try (var m = SftFixtures.smolLm2(dir)) {
            String reply = "Step one. ".repeat(30);
            SftDataset d = encode(m, SftDataConfig.defaults(100), List.of(system("Be brief."), user("How?"), assistant(reply)));
            SftExample e = d.examples().getFirst();
            assertEquals(100, e.length());
            String prompt = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHow?<|im_end|>\n<|im_start|>assistant\n";
            int promptTokens = m.encoder().promptIds(List.of(system("Be brief."), user("How?")), "t").length;
            assertEquals(prompt + reply.substring(0, 100 - promptTokens), text(m.tokenizer(), e.ids()), "the prompt is whole");
            int eos = m.tokenizer().eosId().getAsInt();
            for (int t = 0; t < e.length(); t++) {
                assertTrue(e.labels()[t] != eos, "no EOS after a cut reply");
            }
            assertEquals(1, d.stats().repliesCut());
        }
    }

    @Test
    void whenQuestionAndReplyAreBothLongThePromptKeepsHalfTheBudget() {
        try (var m = SftFixtures.smolLm2(dir)) {
            SftDataset d = encode(m, SftDataConfig.defaults(100), List.of(system("Be brief."), user("q".repeat(300)), assistant("a".repeat(300))));
            SftExample e = d.examples().getFirst();
            assertEquals(100, e.length());
            int firstLabel = 0;
            while (e.labels()[firstLabel] == SftExample.IGNORE) {
                firstLabel++;
            }
            assertEquals(50, firstLabel, "prompt: max_length / 2 tokens");
            assertEquals(List.of("a".repeat(50)), labelledRuns(m.tokenizer(), e));
        }
    }

    @Test
    void severalUserTurnsInTheLastExchangeAreCutEarliestFirst() {
        try (var m = SftFixtures.smolLm2(dir)) {
            SftDataset d = encode(m, SftDataConfig.defaults(120), List.of(system("Be brief."), user("A".repeat(100)), user("B".repeat(100)),
                    assistant("ok")));
            String t = text(m.tokenizer(), d.examples().getFirst().ids());
            assertEquals(120, d.examples().getFirst().length());
            assertFalse(t.contains("A"), t);
            assertTrue(t.contains("<|im_start|>user\nBBBB"), t);
        }
    }

    @Test
    void aSystemPromptLongerThanMaxLengthIsAClearError() {
        try (var m = SftFixtures.smolLm2(dir)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> encode(m, SftDataConfig.defaults(60), List.of(system("s".repeat(100)), user("q"), assistant("a"))));
            assertTrue(e.getMessage().startsWith("t:1: even with its user text removed the prompt takes"), e.getMessage());
        }
    }

    @Test
    void slidingWindowsLabelEveryAssistantTokenExactlyOnce() {
        try (var m = SftFixtures.smolLm2(dir)) {
            SftExample whole = m.encoder().encode(Conversation.of("t:1", exchanges(12))).example();
            int maxLength = 64;
            int stride = 24;
            SlidingWindows.Split split = SlidingWindows.split(whole, maxLength, stride);
            List<Integer> starts = new ArrayList<>();
            for (int s = 0; s + maxLength < whole.length(); s += stride) {
                starts.add(s);
            }
            starts.add(whole.length() - maxLength);
            int[] times = new int[whole.length()];
            int w = 0;
            for (int start : starts) {
                int[] labels = java.util.Arrays.copyOfRange(whole.labels(), start, start + maxLength);
                if (java.util.Arrays.stream(labels).skip(1).allMatch(l -> l == SftExample.IGNORE)) {
                    continue; // an unlabelled stretch: not a window
                }
                SftExample win = split.windows().get(w++);
                assertEquals(maxLength, win.length());
                assertArrayEquals(java.util.Arrays.copyOfRange(whole.ids(), start, start + maxLength), win.ids());
                for (int t = 0; t < maxLength; t++) {
                    if (win.labels()[t] != SftExample.IGNORE) {
                        assertEquals(whole.labels()[start + t], win.labels()[t]);
                        assertTrue(t >= maxLength - stride || start == 0, "only tokens no earlier window saw: t=" + t);
                        times[start + t]++;
                    }
                }
            }
            assertEquals(split.windows().size(), w);
            for (int a = 1; a < whole.length(); a++) {
                assertEquals(whole.labels()[a] == SftExample.IGNORE ? 0 : 1, times[a], "position " + a);
            }
            SftDataset d = SftDataset.encode(List.of(Conversation.of("t:1", exchanges(12))), 0, m.encoder(),
                    SftDataConfig.defaults(maxLength).withSlidingWindow(stride));
            assertEquals(split.windows().size(), d.examples().size());
            assertEquals(whole.trainableTokens(), d.stats().trainableTokens());
            assertEquals(1, d.stats().truncated());
        }
    }

    @Test
    void slidingWindowsWithoutAssistantTokensAreCountedNotKept() {
        try (var m = SftFixtures.smolLm2(dir)) {
            SftDataset d = SftDataset.encode(List.of(Conversation.of("t:1", List.of(user("q".repeat(300)), assistant("ok")))), 0, m.encoder(),
                    SftDataConfig.defaults(64).withSlidingWindow(32));
            assertTrue(d.stats().unlabelledWindows() > 0);
            assertEquals(1, d.examples().size());
            assertEquals(List.of("ok<|im_end|>"), labelledRuns(m.tokenizer(), d.examples().getFirst()));
        }
    }

    @Test
    void theConfiguredSystemPromptGoesFirstUnlessTheConversationHasOne() {
        try (var m = SftFixtures.smolLm2(dir)) {
            SftDataConfig config = SftDataConfig.defaults(512).withSystemPrompt("You are Acme support.");
            SftDataset d = SftDataset.encode(List.of(Conversation.of("a", List.of(user("Hi"), assistant("Hello"))),
                    Conversation.of("b", List.of(system("Own prompt."), user("Hi"), assistant("Hello")))), 0, m.encoder(), config);
            assertTrue(text(m.tokenizer(), d.examples().get(0).ids()).startsWith("<|im_start|>system\nYou are Acme support.<|im_end|>"));
            assertTrue(text(m.tokenizer(), d.examples().get(1).ids()).startsWith("<|im_start|>system\nOwn prompt.<|im_end|>"));
        }
    }

    @Test
    void loadsAFileForAModelMadeByModelInitAndReportsStatistics() throws IOException {
        Path model = dir.resolve("model");
        ModelInit.write("qwen2", "tiny", 7, model);
        Path data = dir.resolve("train.jsonl");
        Files.writeString(data, """
                {"messages": [{"role": "user", "content": "Where is my parcel?"}, {"role": "assistant", "content": "It ships today."}]}
                {"prompt": "Cancel my order", "completion": "Done: order cancelled."}
                {"id": "r1", "inputs": {"text": "no answer"}, "meta": {"source": "x"}}
                {"id": "r2", "inputs": {"text": "Refund?"}, "outputs": {"answer": "Within 30 days."}, "meta": {"source": "x"}}
                """);
        ModelDirectory dirModel = ModelDirectory.of(model);
        try (HfTokenizer tokenizer = dirModel.tokenizer()) {
            SftDataConfig config = SftDataConfig.defaults(256).withSkipIncomplete(true);
            SftDataset d = SftDataset.load(data, dirModel, tokenizer, config);
            assertEquals(new SftDataStats(4, 1, 3, 3, d.stats().tokens(), d.stats().trainableTokens(), 0, 0, 0, d.stats().longest()),
                    d.stats());
            assertEquals("It ships today.".length() + 1 + "Done: order cancelled.".length() + 1 + "Within 30 days.".length() + 1,
                    d.stats().trainableTokens());
            long tokens = d.examples().stream().mapToLong(SftExample::length).sum();
            assertEquals(tokens, d.stats().tokens());
            assertEquals(Set.of(258), d.stopIds(), "<|im_end|>: the EOS of model init's tokenizer and generation config");
            assertEquals(List.of("Within 30 days.<|im_end|>"), labelledRuns(tokenizer, d.examples().get(2)));
            assertTrue(d.stats().summary().startsWith("records 4 = conversations 3 + skipped without reply 1; examples 3"), d.stats().summary());
            SftDataset same = SftDataset.load(data, dirModel.chatTemplate(), tokenizer, config);
            assertEquals(d.stats(), same.stats());
        }
    }
}
