package io.supportlm.model.init;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.supportlm.io.SafetensorsWriter;
import io.supportlm.model.bert.BertConfig;
import io.supportlm.model.bert.BertInit;
import io.supportlm.model.decoder.DecoderConfig;
import io.supportlm.model.decoder.DecoderInit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Random checkpoints in Hugging Face format for tests and demos ({@code model init}): config.json,
 * model.safetensors, a tokenizer.json the project generates ({@link TokenizerJson}),
 * tokenizer_config.json (with a ChatML chat template for decoders) and generation_config.json.
 * Decoders use byte-level BPE with {@code <|endoftext|>} (BOS and padding), {@code <|im_start|>}
 * and {@code <|im_end|>} (end of turn and EOS): padding is not EOS, so EOS is never masked out
 * of a loss.
 */
public final class ModelInit {
    private ModelInit() {}

    public static final List<String> ARCHITECTURES = List.of("llama", "mistral", "qwen2", "qwen3", "gemma3", "gpt_neox", "bert");
    public static final List<String> SIZES = List.of("tiny", "small");
    static final List<String> DECODER_SPECIALS = List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>");
    /** ChatML, as SmolLM2 and Qwen write it. */
    static final String CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
            + "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Writes the checkpoint; returns its config.json fields. */
    public static Map<String, Object> write(String arch, String size, long seed, Path out) throws IOException {
        if (!ARCHITECTURES.contains(arch)) {
            throw new IllegalArgumentException("unknown architecture '" + arch + "' (supported: " + ARCHITECTURES + ")");
        }
        if (!SIZES.contains(size)) {
            throw new IllegalArgumentException("unknown size '" + size + "' (supported: " + SIZES + ")");
        }
        Files.createDirectories(out);
        boolean small = size.equals("small");
        if (arch.equals("bert")) {
            Path tokenizer = out.resolve("tokenizer.json");
            JSON.writeValue(tokenizer.toFile(), TokenizerJson.characterWordPiece());
            BertConfig c = small
                    ? new BertConfig(TokenizerJson.characterWordPieceVocabSize(), 128, 4, 4, 512, 512, 2, 1e-12f, BertConfig.Activation.GELU, 0.1f, 0)
                    : new BertConfig(TokenizerJson.characterWordPieceVocabSize(), 32, 2, 4, 64, 256, 2, 1e-12f, BertConfig.Activation.GELU, 0.1f, 0);
            Path tmp = Files.createTempFile(out, "tokenizer", ".json");
            Files.copy(tokenizer, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            BertInit.writeDirectory(out, c, seed, tmp);
            Files.delete(tmp);
            return c.toJson();
        }
        DecoderConfig.Family family = DecoderConfig.Family.of(arch.equals("gemma3") ? "gemma3_text" : arch);
        ObjectNode config = DecoderInit.tinyConfigJson(family);
        int vocab = TokenizerJson.byteLevelVocabSize(DECODER_SPECIALS);
        config.put("vocab_size", vocab);
        config.put("max_position_embeddings", small ? 2048 : 512);
        config.put("bos_token_id", 256);
        config.put("pad_token_id", 256);
        config.put("eos_token_id", 258);
        if (small) {
            config.put("hidden_size", 128);
            config.put("intermediate_size", 384);
            config.put("num_hidden_layers", 4);
            if (config.has("head_dim")) {
                config.put("head_dim", 32);
            }
        }
        DecoderConfig c = DecoderConfig.fromJson(config);
        SafetensorsWriter weights = new SafetensorsWriter().metadata("format", "pt");
        DecoderInit.randomWeights(c, seed, 0.02f).asMap().forEach(weights::add);
        weights.write(out.resolve("model.safetensors"));
        JSON.writeValue(out.resolve("config.json").toFile(), config);
        JSON.writeValue(out.resolve("tokenizer.json").toFile(), TokenizerJson.byteLevelBpe(DECODER_SPECIALS));
        Map<String, Object> tokenizerConfig = new LinkedHashMap<>();
        tokenizerConfig.put("tokenizer_class", "PreTrainedTokenizerFast");
        tokenizerConfig.put("bos_token", "<|endoftext|>");
        tokenizerConfig.put("eos_token", "<|im_end|>");
        tokenizerConfig.put("pad_token", "<|endoftext|>");
        tokenizerConfig.put("model_max_length", config.path("max_position_embeddings").asInt());
        tokenizerConfig.put("chat_template", CHATML);
        JSON.writeValue(out.resolve("tokenizer_config.json").toFile(), tokenizerConfig);
        JSON.writeValue(out.resolve("generation_config.json").toFile(),
                Map.of("bos_token_id", 256, "eos_token_id", 258, "pad_token_id", 256, "max_new_tokens", 64));
        return JSON.convertValue(config, Map.class);
    }
}
