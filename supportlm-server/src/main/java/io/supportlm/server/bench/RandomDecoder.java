package io.supportlm.server.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.supportlm.io.SafetensorsWriter;
import io.supportlm.model.InMemoryWeights;
import io.supportlm.model.decoder.DecoderConfig;
import io.supportlm.model.decoder.DecoderInit;
import io.supportlm.model.init.TokenizerJson;
import io.supportlm.tensor.DType;
import io.supportlm.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A decoder checkpoint with random weights in a given shape (SmolLM2-135M's for the benchmark),
 * written as a Hugging Face directory so that it is served exactly as a downloaded model would be:
 * memory-mapped safetensors in the given dtype, a byte-level BPE tokenizer.json whose vocabulary
 * covers every id the model can sample (the 256 bytes, {@code <|endoftext|>}, {@code <|im_start|>},
 * {@code <|im_end|>}, then filler words), ChatML in tokenizer_config.json, EOS {@code <|im_end|>}.
 */
public final class RandomDecoder {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    static final List<String> SPECIALS = List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>");
    static final int BOS = 256;
    static final int EOS = 258;
    static final String CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
            + "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private RandomDecoder() {}

    /**
     * Writes the checkpoint into {@code dir} unless the directory already holds one with the same
     * config.json (the weights are then reused). {@code shape} is a config.json's fields; its
     * token ids are replaced by this tokenizer's.
     */
    public static Path write(ObjectNode shape, DType dtype, long seed, Path dir) {
        ObjectNode config = shape.deepCopy();
        int vocab = config.path("vocab_size").asInt();
        if (vocab < TokenizerJson.byteLevelVocabSize(SPECIALS)) {
            throw new IllegalArgumentException("vocab_size " + vocab + " is smaller than the byte-level tokenizer's "
                    + TokenizerJson.byteLevelVocabSize(SPECIALS) + " tokens");
        }
        config.put("bos_token_id", BOS).put("pad_token_id", BOS).put("eos_token_id", EOS);
        config.put("torch_dtype", switch (dtype) {
            case F32 -> "float32";
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            default -> throw new IllegalArgumentException("random decoder weights are f32, bf16 or f16, not " + dtype);
        });
        try {
            Path configFile = dir.resolve("config.json");
            if (Files.isRegularFile(dir.resolve("model.safetensors")) && Files.isRegularFile(configFile)
                    && JSON.readTree(configFile.toFile()).equals(config)) {
                return dir;
            }
            Files.createDirectories(dir);
            DecoderConfig c = DecoderConfig.fromJson(config);
            InMemoryWeights weights = DecoderInit.randomWeights(c, seed, 0.02f);
            try (Arena arena = Arena.ofConfined()) {
                SafetensorsWriter out = new SafetensorsWriter().metadata("format", "pt");
                for (Map.Entry<String, Tensor> e : weights.asMap().entrySet()) {
                    Tensor t = e.getValue();
                    out.add(e.getKey(), dtype == DType.F32 ? t : Tensor.convert(t.array(), dtype, arena, t.shape().dims()));
                }
                out.write(dir.resolve("model.safetensors"));
            }
            JSON.writeValue(dir.resolve("tokenizer.json").toFile(), tokenizer(vocab));
            Map<String, Object> tokenizerConfig = new LinkedHashMap<>();
            tokenizerConfig.put("tokenizer_class", "PreTrainedTokenizerFast");
            tokenizerConfig.put("bos_token", SPECIALS.get(0));
            tokenizerConfig.put("eos_token", SPECIALS.get(2));
            tokenizerConfig.put("pad_token", SPECIALS.get(0));
            tokenizerConfig.put("model_max_length", config.path("max_position_embeddings").asInt());
            tokenizerConfig.put("chat_template", CHATML);
            JSON.writeValue(dir.resolve("tokenizer_config.json").toFile(), tokenizerConfig);
            JSON.writeValue(dir.resolve("generation_config.json").toFile(), Map.of("bos_token_id", BOS, "eos_token_id", EOS));
            JSON.writeValue(configFile.toFile(), config); // last: its presence with the weights marks a complete directory
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot write the random decoder: " + e.getMessage(), e);
        }
    }

    /**
     * Byte-level BPE over the 256 bytes and the specials, its vocabulary filled up to {@code vocab}
     * with space-prefixed lowercase words ("Ġab", "Ġac", …) so that every id decodes to text.
     */
    static ObjectNode tokenizer(int vocab) {
        ObjectNode root = TokenizerJson.byteLevelBpe(SPECIALS);
        ObjectNode words = (ObjectNode) root.path("model").path("vocab");
        for (int id = TokenizerJson.byteLevelVocabSize(SPECIALS), n = 0; id < vocab; id++, n++) {
            words.put("\u0120" + word(n), id);
        }
        return root;
    }

    /** The n-th lowercase word of two or more letters: aa, ab, …, zz, aaa, … */
    static String word(int n) {
        int length = 2;
        long span = 26 * 26;
        while (n >= span) {
            n -= (int) span;
            length++;
            span *= 26;
        }
        char[] letters = new char[length];
        for (int i = length - 1; i >= 0; i--) {
            letters[i] = (char) ('a' + n % 26);
            n /= 26;
        }
        return new String(letters);
    }

    /** config.json fields of a SmolLM2-135M-shaped llama, as {@link io.supportlm.bench.GenerateBenchmark} measures it. */
    public static ObjectNode smolLm2Shape() {
        try {
            return (ObjectNode) JSON.readTree(io.supportlm.bench.GenerateBenchmark.SMOLLM2_135M);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
