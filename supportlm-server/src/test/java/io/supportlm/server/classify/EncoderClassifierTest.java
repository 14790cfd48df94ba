package io.supportlm.server.classify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.model.hf.HfTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EncoderClassifierTest {
    @TempDir
    Path dir;

    @Test
    void answersDoNotDependOnBatchCompanionsOrWorkspaceGrowth() {
        ClassificationBackend model = io.supportlm.server.TestModels.backend(5);
        String shortText = "refund please";
        float[] alone = model.classify(List.of(shortText)).rows().getFirst().tasks().getFirst().probabilities();
        String longText = "the payment page shows an error every time I try to pay with my card ".repeat(8);
        ClassificationBackend.Output mixed = model.classify(List.of(longText, shortText)); // grows the workspace
        assertArrayEquals(alone, mixed.rows().get(1).tasks().getFirst().probabilities(), 1e-5f);
        assertArrayEquals(alone, model.classify(List.of(shortText)).rows().getFirst().tasks().getFirst().probabilities(), 1e-5f);
        for (ClassificationBackend.Row row : mixed.rows()) {
            for (TaskProbabilities tp : row.tasks()) {
                double sum = 0;
                for (float p : tp.probabilities()) {
                    sum += p;
                }
                assertEquals(1.0, sum, 1e-5);
            }
        }
    }

    @Test
    void anEnsembleServesTheMeanOfItsMembersProbabilities() {
        List<String> texts = List.of("refund please", "the app crashes every time I open the settings page");
        ClassificationBackend a = io.supportlm.server.TestModels.backend(5);
        ClassificationBackend b = io.supportlm.server.TestModels.backend(6);
        ClassificationBackend both = new EncoderClassifier(List.of(io.supportlm.server.TestModels.classifier(5),
                io.supportlm.server.TestModels.classifier(6)), io.supportlm.server.TestModels.tokenizer(), 16, 64);
        ClassificationBackend.Output pa = a.classify(texts), pb = b.classify(texts), mean = both.classify(texts);
        assertEquals(pa.tokens(), mean.tokens(), "the texts count once, not once per member");
        for (int i = 0; i < texts.size(); i++) {
            for (int t = 0; t < 2; t++) {
                float[] x = pa.rows().get(i).tasks().get(t).probabilities();
                float[] y = pb.rows().get(i).tasks().get(t).probabilities();
                float[] expected = new float[x.length];
                for (int k = 0; k < x.length; k++) {
                    expected[k] = (x[k] + y[k]) / 2;
                }
                assertArrayEquals(expected, mean.rows().get(i).tasks().get(t).probabilities(), 1e-6f);
            }
        }
        var e = assertThrows(IllegalArgumentException.class, () -> new EncoderClassifier(List.of(io.supportlm.server.TestModels.classifier(5),
                new io.supportlm.classify.MultiTaskClassifier(io.supportlm.server.TestModels.classifier(6).backbone(),
                        io.supportlm.kernels.Pooling.Mode.MEAN, 0f, List.of(new io.supportlm.classify.ClassificationTask("queue",
                        List.of("billing", "other"), 1f, null)), new java.util.Random(1))), io.supportlm.server.TestModels.tokenizer(), 16, 64));
        assertTrue(e.getMessage().contains("must share tasks and labels"), e.getMessage());
    }

    @Test
    void longTextsAreTruncatedAndTokensCounted() {
        ClassificationBackend model = io.supportlm.server.TestModels.backend(5); // max length 64
        ClassificationBackend.Output out = model.classify(List.of("word ".repeat(500), "hello"));
        assertEquals(64 + 3, out.tokens(), "64 for the truncated text, [CLS] hello [SEP] for the other");
    }

    @Test
    void batchesMoreThanTheMaximumRunInSlices() {
        ClassificationBackend model = io.supportlm.server.TestModels.backend(5); // max batch 16
        List<String> texts = java.util.stream.IntStream.range(0, 37).mapToObj(i -> "ticket " + i).toList();
        ClassificationBackend.Output out = model.classify(texts);
        assertEquals(37, out.rows().size());
        assertArrayEquals(model.classify(List.of("ticket 36")).rows().getFirst().tasks().get(1).probabilities(),
                out.rows().get(36).tasks().get(1).probabilities(), 1e-5f);
    }

    @Test
    void textsOfMixedLengthsAnswerAsTheyDoAloneInTheirOrder() {
        ClassificationBackend model = io.supportlm.server.TestModels.backend(7);
        java.util.Random rng = new java.util.Random(3);
        List<String> texts = java.util.stream.IntStream.range(0, 23)
                .mapToObj(i -> ("order " + i + " arrived broken ").repeat(1 + rng.nextInt(6))).toList();
        ClassificationBackend.Output together = model.classify(texts);
        long tokens = 0;
        for (int i = 0; i < texts.size(); i++) {
            ClassificationBackend.Output alone = model.classify(List.of(texts.get(i)));
            tokens += alone.tokens();
            for (int t = 0; t < 2; t++) {
                assertArrayEquals(alone.rows().getFirst().tasks().get(t).probabilities(),
                        together.rows().get(i).tasks().get(t).probabilities(), 1e-5f, "text " + i);
            }
        }
        assertEquals(tokens, together.tokens());
    }

    @Test
    void groupsCoverEveryTextOnceWithinTheBatchAndPaddingBounds() {
        java.util.Random rng = new java.util.Random(11);
        for (int trial = 0; trial < 50; trial++) {
            int[] lengths = rng.ints(1 + rng.nextInt(40), 3, 129).toArray();
            int maxBatch = 1 + rng.nextInt(16);
            List<int[]> groups = EncoderClassifier.groups(lengths, maxBatch);
            boolean[] seen = new boolean[lengths.length];
            for (int[] g : groups) {
                assertTrue(g.length >= 1 && g.length <= maxBatch, "group of " + g.length + " with max batch " + maxBatch);
                long real = 0;
                int longest = 0;
                for (int i : g) {
                    assertTrue(!seen[i], "text " + i + " in two groups");
                    seen[i] = true;
                    real += lengths[i];
                    longest = Math.max(longest, lengths[i]);
                }
                assertTrue(g.length == 1 || (long) g.length * longest <= EncoderClassifier.PADDING_SLACK * real,
                        "padding beyond the slack: " + java.util.Arrays.toString(g));
            }
            for (boolean s : seen) {
                assertTrue(s, "every text is classified");
            }
        }
        int[] equal = new int[40];
        java.util.Arrays.fill(equal, 30);
        assertEquals(List.of(16, 16, 8), EncoderClassifier.groups(equal, 16).stream().map(g -> g.length).toList(),
                "texts of one length fill whole batches");
    }

    @Test
    void aTokenizerWithoutPadTokenIsRefused() throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/all-minilm-l6-v2-tokenizer.json")) {
            Files.copy(in, dir.resolve("tokenizer.json"));
        }
        try (HfTokenizer noPad = HfTokenizer.load(dir)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new EncoderClassifier(io.supportlm.server.TestModels.classifier(1), noPad, 4, 32));
            assertTrue(e.getMessage().contains("batching needs a pad token"), e.getMessage());
        }
    }
}
