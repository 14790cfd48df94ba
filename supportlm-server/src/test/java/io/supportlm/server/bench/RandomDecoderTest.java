package io.supportlm.server.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.supportlm.model.decoder.DecoderConfig;
import io.supportlm.model.decoder.DecoderInit;
import io.supportlm.model.hf.HfTokenizer;
import io.supportlm.model.hf.ModelDirectory;
import io.supportlm.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RandomDecoderTest {
    @TempDir
    Path dir;

    @Test
    void everyIdTheModelCanSampleDecodesToText() throws Exception {
        ObjectNode shape = DecoderInit.tinyConfigJson(DecoderConfig.Family.LLAMA).put("vocab_size", 1000);
        Path d = RandomDecoder.write(shape, DType.BF16, 1, dir.resolve("m"));
        ModelDirectory model = ModelDirectory.of(d);
        assertEquals(1000, model.config().raw().path("vocab_size").asInt());
        try (HfTokenizer tokenizer = model.tokenizer()) {
            assertEquals(" aa", tokenizer.decode(new int[] {259}, true));
            assertEquals(" aa zz aaa", tokenizer.decode(new int[] {259, 259 + 675, 259 + 676}, true));
            assertEquals(RandomDecoder.EOS, tokenizer.eosId().orElseThrow());
            assertEquals("hi", tokenizer.decode(tokenizer.encode("hi", false).ids(), true));
        }
        assertTrue(model.hasChatTemplate());
    }

    @Test
    void anExistingCheckpointOfTheSameShapeIsReused() throws Exception {
        ObjectNode shape = DecoderInit.tinyConfigJson(DecoderConfig.Family.LLAMA).put("vocab_size", 300);
        Path d = RandomDecoder.write(shape, DType.F32, 1, dir.resolve("m"));
        FileTime written = Files.getLastModifiedTime(d.resolve("model.safetensors"));
        Thread.sleep(20);
        RandomDecoder.write(shape, DType.F32, 1, d);
        assertEquals(written, Files.getLastModifiedTime(d.resolve("model.safetensors")));
        RandomDecoder.write(shape.deepCopy().put("vocab_size", 301), DType.F32, 1, d);
        assertTrue(Files.getLastModifiedTime(d.resolve("model.safetensors")).compareTo(written) > 0, "another shape is rewritten");
    }

    @Test
    void aVocabularySmallerThanTheTokenizerIsRefused() {
        ObjectNode shape = DecoderInit.tinyConfigJson(DecoderConfig.Family.LLAMA); // vocab 48
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RandomDecoder.write(shape, DType.F32, 1, dir));
        assertTrue(e.getMessage().contains("vocab_size 48"), e.getMessage());
    }

    @Test
    void wordsCountUpInLengthThenLetters() {
        assertEquals("aa", RandomDecoder.word(0));
        assertEquals("ab", RandomDecoder.word(1));
        assertEquals("zz", RandomDecoder.word(675));
        assertEquals("aaa", RandomDecoder.word(676));
        assertEquals("aab", RandomDecoder.word(677));
    }
}
