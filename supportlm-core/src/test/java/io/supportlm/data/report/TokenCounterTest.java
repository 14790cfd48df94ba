package io.supportlm.data.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.supportlm.model.hf.HfTokenizer;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenCounterTest {
    @Test
    void aModelTokenizerCountsItsOwnTokensWithoutSpecialTokens(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("tokenizer.json");
        try (InputStream in = TokenCounterTest.class.getResourceAsStream("/all-minilm-l6-v2-tokenizer.json")) {
            Files.copy(in, json);
        }
        try (HfTokenizer tokenizer = HfTokenizer.load(json, null, null)) {
            TokenCounter counter = TokenCounter.of(tokenizer, "minilm");
            assertEquals("tokens (minilm)", counter.unit());
            assertEquals(4, counter.count("Hello, world!")); // hello , world !
        }
    }
}
