package io.supportlm.sft.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.supportlm.model.hf.ChatTemplate;
import io.supportlm.model.hf.HfTokenizer;
import io.supportlm.model.init.TokenizerJson;
import io.supportlm.sft.SftExample;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Tiny tokenizers and real chat templates for the SFT data tests: byte-level BPE without merges
 * (every byte a token, special tokens after them, as {@code model init} writes them) with the
 * special tokens of SmolLM2, Qwen2.5 and Gemma 3, and those models' real templates (the fixtures
 * of {@code ChatTemplateTest}, see chat-templates/SOURCES.md).
 */
public final class SftFixtures {
    private static final String TEMPLATES = "/io/supportlm/model/hf/chat-templates/";
    private static final ObjectMapper JSON = new ObjectMapper();

    private SftFixtures() {}

    /** A tokenizer and the chat template that goes with it. */
    public record Model(HfTokenizer tokenizer, ChatTemplate template) implements AutoCloseable {
        public ConversationEncoder encoder(List<String> stopTokens) {
            return new ConversationEncoder(ChatFormat.template(template), tokenizer, List.of(), stopTokens);
        }

        public ConversationEncoder encoder() {
            return encoder(List.of());
        }

        @Override
        public void close() {
            tokenizer.close();
        }
    }

    public static String template(String name) {
        try (InputStream in = SftFixtures.class.getResourceAsStream(TEMPLATES + name + ".jinja")) {
            if (in == null) {
                throw new IOException("missing test resource " + TEMPLATES + name + ".jinja");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes tokenizer.json (byte-level, {@code specials} from id 256) and tokenizer_config.json into {@code dir}. */
    public static HfTokenizer tokenizer(Path dir, List<String> specials, Map<String, String> specialTokens) {
        try {
            Files.createDirectories(dir);
            JSON.writeValue(dir.resolve("tokenizer.json").toFile(), TokenizerJson.byteLevelBpe(specials));
            JSON.writeValue(dir.resolve("tokenizer_config.json").toFile(), specialTokens);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return HfTokenizer.load(dir);
    }

    /** SmolLM2-Instruct: ChatML, and pad == eos == {@code <|im_end|>} as in its real tokenizer_config.json. */
    public static Model smolLm2(Path dir) {
        Map<String, String> tokens = Map.of("bos_token", "<|im_start|>", "eos_token", "<|im_end|>", "unk_token", "<|endoftext|>",
                "pad_token", "<|im_end|>");
        return new Model(tokenizer(dir, List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>"), tokens),
                ChatTemplate.of(template("smollm2"), tokens));
    }

    /** Qwen2.5-Instruct: ChatML with a default system prompt; eos {@code <|im_end|>}, pad {@code <|endoftext|>}. */
    public static Model qwen25(Path dir) {
        Map<String, String> tokens = Map.of("eos_token", "<|im_end|>", "pad_token", "<|endoftext|>");
        return new Model(tokenizer(dir, List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>"), tokens),
                ChatTemplate.of(template("qwen2_5"), tokens));
    }

    /** Gemma 3 instruct: {@code <start_of_turn>model … <end_of_turn>}, eos {@code <eos>} (not written by the template). */
    public static Model gemma3(Path dir) {
        Map<String, String> tokens = new LinkedHashMap<>();
        tokens.put("bos_token", "<bos>");
        tokens.put("eos_token", "<eos>");
        tokens.put("unk_token", "<unk>");
        tokens.put("pad_token", "<pad>");
        return new Model(tokenizer(dir, List.of("<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>"), tokens),
                ChatTemplate.of(template("gemma3"), tokens));
    }

    /** The text of each maximal run of labelled positions. */
    public static List<String> labelledRuns(HfTokenizer tokenizer, SftExample e) {
        List<String> runs = new ArrayList<>();
        int[] labels = e.labels();
        for (int t = 0; t < labels.length; ) {
            if (labels[t] == SftExample.IGNORE) {
                t++;
                continue;
            }
            int start = t;
            while (t < labels.length && labels[t] != SftExample.IGNORE) {
                t++;
            }
            runs.add(tokenizer.decode(Arrays.copyOfRange(labels, start, t), false));
        }
        return runs;
    }

    public static String text(HfTokenizer tokenizer, int[] ids) {
        return tokenizer.decode(ids, false);
    }
}
