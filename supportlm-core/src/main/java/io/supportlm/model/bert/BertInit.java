package io.supportlm.model.bert;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.supportlm.model.InMemoryWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import io.supportlm.tensor.Tensor;
import java.util.Random;

/**
 * Random BERT weights in Hugging Face naming, for tests and demos ({@code model init}):
 * matrices N(0, 0.02²) as transformers' {@code initializer_range}, embeddings a little larger so
 * that a tiny model's activations are not degenerate, LayerNorm weights near 1, biases small.
 */
public final class BertInit {
    private BertInit() {}

    /**
     * Writes a random BERT as a Hugging Face directory: {@code config.json}, {@code model.safetensors},
     * and the given {@code tokenizer.json} (its vocabulary must fit {@code vocab_size}) with a
     * BERT {@code tokenizer_config.json}.
     */
    public static void writeDirectory(Path dir, BertConfig c, long seed, Path tokenizerJson) throws IOException {
        Files.createDirectories(dir);
        io.supportlm.io.SafetensorsWriter w = new io.supportlm.io.SafetensorsWriter().metadata("format", "pt");
        random(c, seed).asMap().forEach(w::add);
        w.write(dir.resolve("model.safetensors"));
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        json.writeValue(dir.resolve("config.json").toFile(), c.toJson());
        Files.copy(tokenizerJson, dir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
        json.writeValue(dir.resolve("tokenizer_config.json").toFile(), java.util.Map.of("tokenizer_class", "BertTokenizer",
                "do_lower_case", true, "cls_token", "[CLS]", "sep_token", "[SEP]", "pad_token", "[PAD]", "unk_token", "[UNK]",
                "mask_token", "[MASK]", "model_max_length", c.maxPositions()));
    }

    public static InMemoryWeights random(BertConfig c, long seed) {
        Random rng = new Random(seed);
        InMemoryWeights w = new InMemoryWeights("random bert (seed " + seed + ")");
        int C = c.hiddenSize();
        int I = c.intermediateSize();
        float matrix = (float) Math.max(0.02, 1.0 / Math.sqrt(C)); // tiny models need O(1/√C) to mix at all
        w.put("embeddings.word_embeddings.weight", uniform(rng, 1f, c.vocabSize(), C));
        w.put("embeddings.position_embeddings.weight", uniform(rng, 0.5f, c.maxPositions(), C));
        w.put("embeddings.token_type_embeddings.weight", uniform(rng, 0.5f, c.typeVocabSize(), C));
        w.put("embeddings.LayerNorm.weight", around1(rng, C));
        w.put("embeddings.LayerNorm.bias", uniform(rng, 0.1f, C));
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "encoder.layer." + l + ".";
            for (String m : new String[] {"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"}) {
                w.put(p + m + ".weight", uniform(rng, matrix * 1.7f, C, C));
                w.put(p + m + ".bias", uniform(rng, 0.1f, C));
            }
            w.put(p + "attention.output.LayerNorm.weight", around1(rng, C));
            w.put(p + "attention.output.LayerNorm.bias", uniform(rng, 0.1f, C));
            w.put(p + "intermediate.dense.weight", uniform(rng, matrix * 1.7f, I, C));
            w.put(p + "intermediate.dense.bias", uniform(rng, 0.1f, I));
            w.put(p + "output.dense.weight", uniform(rng, (float) (1.7 / Math.sqrt(I)), C, I));
            w.put(p + "output.dense.bias", uniform(rng, 0.1f, C));
            w.put(p + "output.LayerNorm.weight", around1(rng, C));
            w.put(p + "output.LayerNorm.bias", uniform(rng, 0.1f, C));
        }
        return w;
    }

    private static Tensor uniform(Random rng, float scale, int... dims) {
        int n = 1;
        for (int d : dims) {
            n = Math.multiplyExact(n, d);
        }
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (rng.nextFloat() * 2 - 1) * scale;
        }
        return Tensor.wrap(a, dims);
    }

    private static Tensor around1(Random rng, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = 1 + (rng.nextFloat() - 0.5f) * 0.2f;
        }
        return Tensor.wrap(a, n);
    }
}
