package io.supportlm.sft.data;

import static io.supportlm.sft.data.SftFixtures.labelledRuns;
import static io.supportlm.sft.data.SftFixtures.text;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.sft.ChatMessage;
import io.supportlm.sft.PreferenceExample;
import io.supportlm.sft.SftExample;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PreferenceDatasetTest {
    @TempDir
    Path dir;

    private static int firstLabel(SftExample e) {
        int t = 0;
        while (e.labels()[t] == SftExample.IGNORE) {
            t++;
        }
        return t;
    }

    @Test
    void bothRepliesFollowTheSamePromptTokensAndOnlyTheyAreLabelled() throws IOException {
        Path data = dir.resolve("pairs.jsonl");
        Files.writeString(data, """
                {"prompt": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "Where is my parcel?"}], "chosen": "It ships today.", "rejected": "No idea."}
                """);
        try (var m = SftFixtures.gemma3(dir.resolve("tok"))) {
            PreferenceDataset d = PreferenceDataset.load(data, m.encoder(List.of("<end_of_turn>")), SftDataConfig.defaults(256));
            PreferenceExample p = d.pairs().getFirst();
            int prompt = firstLabel(p.chosen());
            assertEquals(prompt, firstLabel(p.rejected()));
            assertArrayEquals(Arrays.copyOf(p.chosen().ids(), prompt), Arrays.copyOf(p.rejected().ids(), prompt));
            assertTrue(text(m.tokenizer(), Arrays.copyOf(p.chosen().ids(), prompt)).endsWith("Where is my parcel?<end_of_turn>\n<start_of_turn>model\n"));
            assertEquals(List.of("It ships today.<end_of_turn>"), labelledRuns(m.tokenizer(), p.chosen()), "the prompt's assistant turn is context");
            assertEquals(List.of("No idea.<end_of_turn>"), labelledRuns(m.tokenizer(), p.rejected()));
            assertEquals(1, d.stats().examples());
        }
    }

    @Test
    void truncationCutsThePromptOnceForBothReplies() {
        try (var m = SftFixtures.smolLm2(dir)) {
            List<ChatMessage> prompt = List.of(new ChatMessage("system", "Be brief."), new ChatMessage("user", "first question?"),
                    new ChatMessage("assistant", "first answer."), new ChatMessage("user", "second question?"));
            PreferencePair pair = new PreferencePair("t:1", prompt, "Short.", "A much longer rejected reply that rambles on.");
            int maxLength = 100;
            PreferenceDataset d = PreferenceDataset.encode(List.of(pair), 0, m.encoder(), SftDataConfig.defaults(maxLength));
            PreferenceExample p = d.pairs().getFirst();
            int n = firstLabel(p.chosen());
            assertEquals(n, firstLabel(p.rejected()));
            assertArrayEquals(Arrays.copyOf(p.chosen().ids(), n), Arrays.copyOf(p.rejected().ids(), n), "one prompt for both");
            String promptText = text(m.tokenizer(), Arrays.copyOf(p.chosen().ids(), n));
            assertFalse(promptText.contains("first question"), "the older exchange is dropped for both: " + promptText);
            assertTrue(promptText.startsWith("<|im_start|>system\nBe brief."));
            assertTrue(p.chosen().length() <= maxLength && p.rejected().length() <= maxLength);
            assertEquals(List.of("A much longer rejected reply that rambles on.<|im_end|>"), labelledRuns(m.tokenizer(), p.rejected()));
            assertEquals(1, d.stats().truncated());
        }
    }

    @Test
    void slidingWindowsDoNotApplyToPairs() {
        try (var m = SftFixtures.smolLm2(dir)) {
            PreferencePair pair = new PreferencePair("t:1", List.of(new ChatMessage("user", "q")), "a", "b");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> PreferenceDataset.encode(List.of(pair), 0, m.encoder(), SftDataConfig.defaults(64).withSlidingWindow(16)));
            assertTrue(e.getMessage().contains("applies to SFT only"), e.getMessage());
        }
    }
}
