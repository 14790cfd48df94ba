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
