package io.supportlm.model.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfTokenizerTest {
    @TempDir
    Path dir;

    /**
     * A tiny WordLevel tokenizer in the Hugging Face tokenizers JSON format: lowercase, split on
     * whitespace and punctuation, wrap single sequences as {@code <s> A </s>}. Its settings for
     * truncation and padding must be ignored, as transformers ignores them.
     */
    static final String WORD_LEVEL = """
            {
              "version": "1.0",
              "truncation": {"direction": "Right", "max_length": 2, "strategy": "LongestFirst", "stride": 0},
              "padding": {"strategy": {"Fixed": 16}, "direction": "Right", "pad_to_multiple_of": null,
                          "pad_id": 0, "pad_type_id": 0, "pad_token": "[PAD]"},
              "added_tokens": [
                {"id": 0, "content": "[PAD]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
                {"id": 1, "content": "[UNK]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
                {"id": 2, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
                {"id": 3, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
              ],
              "normalizer": {"type": "Lowercase"},
              "pre_tokenizer": {"type": "Whitespace"},
              "post_processor": {
                "type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                           {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                         {"SpecialToken": {"id": "</s>", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                         {"SpecialToken": {"id": "</s>", "type_id": 1}}],
                "special_tokens": {
                  "<s>": {"id": "<s>", "ids": [2], "tokens": ["<s>"]},
                  "</s>": {"id": "</s>", "ids": [3], "tokens": ["</s>"]}
                }
              },
              "decoder": null,
              "model": {"type": "WordLevel",
                        "vocab": {"[PAD]": 0, "[UNK]": 1, "<s>": 2, "</s>": 3, "hello": 4, "world": 5, "!": 6, "my": 7, "order": 8},
                        "unk_token": "[UNK]"}
            }
            """;

    private Path wordLevelDir(String tokenizerConfig, String modelConfig) throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), WORD_LEVEL);
        if (tokenizerConfig != null) {
            Files.writeString(dir.resolve("tokenizer_config.json"), tokenizerConfig);
        }
        if (modelConfig != null) {
            Files.writeString(dir.resolve("config.json"), modelConfig);
        }
        return dir;
    }

    @Test
    void encodesWithAndWithoutSpecialTokensIgnoringTheFilesPaddingAndTruncation() throws IOException {
        try (HfTokenizer t = HfTokenizer.load(wordLevelDir(null, null))) {
            HfTokenizer.Encoding e = t.encode("Hello world!", true);
            assertArrayEquals(new int[] {2, 4, 5, 6, 3}, e.ids());
            assertArrayEquals(new int[] {1, 1, 1, 1, 1}, e.attentionMask());
            assertArrayEquals(new int[][] {{0, 0}, {0, 5}, {6, 11}, {11, 12}, {0, 0}}, e.offsets());
            assertArrayEquals(new String[] {"<s>", "hello", "world", "!", "</s>"}, e.tokens());
            assertArrayEquals(new int[] {4, 5, 6}, t.encode("Hello world!", false).ids());
            assertArrayEquals(new int[] {4, 1, 8}, t.encode("hello unknown order", false).ids(), "unknown words map to [UNK]");
        }
    }

    @Test
    void truncationKeepsTheSpecialTokens() throws IOException {
        try (HfTokenizer t = HfTokenizer.load(wordLevelDir(null, null))) {
            assertArrayEquals(new int[] {2, 4, 5, 3}, t.encode("hello world ! my order", true, 4).ids());
            assertArrayEquals(new int[] {4, 5, 6, 7}, t.encode("hello world ! my order", false, 4).ids());
        }
    }

    @Test
    void padsBatchesOnEitherSide() throws IOException {
        try (HfTokenizer t = HfTokenizer.load(wordLevelDir("{\"pad_token\": \"[PAD]\"}", null))) {
            List<String> texts = List.of("hello", "hello world !");
            HfTokenizer.Batch right = t.encodeBatch(texts, true, 0, HfTokenizer.PaddingSide.RIGHT);
            assertArrayEquals(new int[][] {{2, 4, 3, 0, 0}, {2, 4, 5, 6, 3}}, right.ids());
            assertArrayEquals(new int[][] {{1, 1, 1, 0, 0}, {1, 1, 1, 1, 1}}, right.attentionMask());
            HfTokenizer.Batch left = t.encodeBatch(texts, false, 2, HfTokenizer.PaddingSide.LEFT);
            assertArrayEquals(new int[][] {{0, 4}, {4, 5}}, left.ids());
            assertArrayEquals(new int[][] {{0, 1}, {1, 1}}, left.attentionMask());
        }
    }

    @Test
    void paddingWithoutAPadTokenIsAClearError() throws IOException {
        try (HfTokenizer t = HfTokenizer.load(wordLevelDir(null, null))) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> t.encodeBatch(List.of("a", "a b"), false, 0, HfTokenizer.PaddingSide.RIGHT));
            assertTrue(e.getMessage().contains("pad token"), e.getMessage());
        }
    }

    @Test
    void decodesWithOrWithoutSpecialTokens() throws IOException {
        try (HfTokenizer t = HfTokenizer.load(wordLevelDir(null, null))) {
            assertEquals("hello world !", t.decode(new int[] {2, 4, 5, 6, 3}, true));
            assertEquals("<s> hello world ! </s>", t.decode(new int[] {2, 4, 5, 6, 3}, false));
        }
    }

    @Test
    void specialTokensComeFromTokenizerConfigThenConfigJson() throws IOException {
        String tokenizerConfig = """
                {"bos_token": "<s>", "eos_token": {"content": "</s>", "lstrip": false, "normalized": false},
                 "unk_token": "[UNK]", "pad_token": null}
                """;
        try (HfTokenizer t = HfTokenizer.load(wordLevelDir(tokenizerConfig, "{\"pad_token_id\": 0, \"eos_token_id\": [3, 6]}"))) {
            assertEquals(Optional.of("<s>"), t.specialTokens().bos());
            assertEquals(Optional.of("</s>"), t.specialTokens().eos());
            assertEquals(OptionalInt.of(2), t.bosId());
            assertEquals(OptionalInt.of(3), t.eosId());
            assertEquals(OptionalInt.of(0), t.padId(), "from config.json");
            assertEquals(OptionalInt.of(1), t.unkId());
            assertEquals(-1, t.tokenToId("hello world"));
        }
    }

    @Test
    void rejectsASpecialTokenOutsideTheVocabulary() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HfTokenizer.load(wordLevelDir("{\"eos_token\": \"<|im_end|> x\"}", null)).close());
        assertTrue(e.getMessage().contains("'<|im_end|> x'"), e.getMessage());
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": 5}");
        e = assertThrows(IllegalArgumentException.class, () -> HfTokenizer.load(dir).close());
        assertTrue(e.getMessage().contains("tokenizer_config.json: field 'bos_token'"), e.getMessage());
    }

    @Test
    void rejectsAMissingOrBrokenTokenizerFile() throws IOException {
        assertThrows(IllegalArgumentException.class, () -> HfTokenizer.load(dir));
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": 3}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HfTokenizer.load(dir));
        assertTrue(e.getMessage().contains("tokenizer.json"), e.getMessage());
    }

    /** The real all-MiniLM-L6-v2 tokenizer (BERT uncased WordPiece), shipped in a Maven Central jar. */
    private Path miniLm() throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/all-minilm-l6-v2-tokenizer.json")) {
            assertTrue(in != null, "the langchain4j MiniLM jar is on the test classpath");
            Files.copy(in, dir.resolve("tokenizer.json"));
        }
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]", "do_lower_case": true}
                """);
        return dir;
    }

    @Test
    void realBertWordPieceMatchesTransformers() throws IOException {
        try (HfTokenizer t = HfTokenizer.load(miniLm())) {
            HfTokenizer.Encoding e = t.encode("Hello, world!", true);
            assertArrayEquals(new int[] {101, 7592, 1010, 2088, 999, 102}, e.ids());
            assertArrayEquals(new int[][] {{0, 0}, {0, 5}, {5, 6}, {7, 12}, {12, 13}, {0, 0}}, e.offsets());
            assertEquals("hello, world!", t.decode(e.ids(), true));
            String emoji = "a\uD83D\uDCE6b où"; // "a📦b où": the emoji is two Java chars
            HfTokenizer.Encoding u = t.encode(emoji, true);
            assertArrayEquals(new int[] {101, 100, 15068, 102}, u.ids(), "[CLS] [UNK] ou [SEP]: accents stripped");
            assertEquals("a\uD83D\uDCE6b", emoji.substring(u.offsets()[1][0], u.offsets()[1][1]));
            assertEquals("où", emoji.substring(u.offsets()[2][0], u.offsets()[2][1]));
            assertEquals(OptionalInt.of(0), t.padId());
            assertEquals(OptionalInt.of(100), t.unkId());
            // the file asks for truncation and fixed padding at 128; transformers ignores both by default
            String longText = "word ".repeat(300);
            assertEquals(302, t.encode(longText, true).length());
            HfTokenizer.Encoding cut = t.encode(longText, true, 8);
            assertEquals(8, cut.length());
            assertEquals(101, cut.ids()[0]);
            assertEquals(102, cut.ids()[7]);
        }
    }
}
