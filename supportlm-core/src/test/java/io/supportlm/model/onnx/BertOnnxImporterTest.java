package io.supportlm.model.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Imports the real all-MiniLM-L6-v2 ONNX export that LangChain4j ships on Maven Central. */
class BertOnnxImporterTest {
    static BertOnnxImporter.Imported minilm;

    /** Copies a classpath resource (from a test dependency jar) to a file. */
    static Path resource(String name, Path dir) throws IOException {
        try (InputStream in = BertOnnxImporterTest.class.getResourceAsStream("/" + name)) {
            if (in == null) {
                throw new IllegalStateException("test resource " + name + " missing: is the langchain4j embeddings jar a test dependency?");
            }
            Path out = dir.resolve(name);
            Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
            return out;
        }
    }

    @BeforeAll
    static void importMiniLm(@TempDir Path dir) throws IOException {
        minilm = BertOnnxImporter.convert(OnnxModel.read(resource("all-minilm-l6-v2.onnx", dir)));
    }

    @Test
    void configIsReadOffTheGraph() {
        Map<String, Object> c = minilm.config();
        assertEquals("bert", c.get("model_type"));
        assertEquals(30522, c.get("vocab_size"));
        assertEquals(384, c.get("hidden_size"));
        assertEquals(6, c.get("num_hidden_layers"));
        assertEquals(12, c.get("num_attention_heads"));
        assertEquals(1536, c.get("intermediate_size"));
        assertEquals(512, c.get("max_position_embeddings"));
        assertEquals(2, c.get("type_vocab_size"));
        assertEquals("gelu", c.get("hidden_act"));
        assertEquals(1e-12, (double) c.get("layer_norm_eps"), 1e-15);
    }

    @Test
    void everyLinearWeightGetsItsHuggingFaceNameAndOutInLayout() {
        for (int layer = 0; layer < 6; layer++) {
            String p = "encoder.layer." + layer + ".";
            assertArrayEquals(new int[] {384, 384}, shape(p + "attention.self.query.weight"));
            assertArrayEquals(new int[] {384, 384}, shape(p + "attention.self.key.weight"));
            assertArrayEquals(new int[] {384, 384}, shape(p + "attention.self.value.weight"));
            assertArrayEquals(new int[] {384, 384}, shape(p + "attention.output.dense.weight"));
            assertArrayEquals(new int[] {1536, 384}, shape(p + "intermediate.dense.weight"));
            assertArrayEquals(new int[] {384, 1536}, shape(p + "output.dense.weight"));
        }
        assertTrue(minilm.weights().keySet().stream().noneMatch(n -> n.startsWith("onnx::")), "anonymous names left");
        assertTrue(!minilm.weights().containsKey("embeddings.position_ids"), "int64 buffers are not weights");
        // 5 embedding tensors + 16 per layer (6 weights, 6 biases, 2 LayerNorms × 2)
        assertEquals(5 + 6 * 16, minilm.weights().size());
    }

    @Test
    void aFileThatIsNotOnnxIsRejectedNamingIt(@TempDir Path dir) throws IOException {
        Path junk = dir.resolve("junk.onnx");
        Files.writeString(junk, "{\"this\": \"is json\"}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OnnxModel.read(junk));
        assertTrue(e.getMessage().contains("junk.onnx"), e.getMessage());
    }

    private static int[] shape(String name) {
        BertOnnxImporter.Weight w = minilm.weights().get(name);
        if (w == null) {
            throw new AssertionError("missing " + name);
        }
        return w.shape();
    }
}
