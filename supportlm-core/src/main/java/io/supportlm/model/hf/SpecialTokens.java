package io.supportlm.model.hf;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;

/**
 * The special-token strings of a tokenizer as {@code tokenizer_config.json} declares them: each is
 * a string, an AddedToken object ({@code {"content": ...}}) or null/absent.
 */
public record SpecialTokens(Optional<String> bos, Optional<String> eos, Optional<String> pad, Optional<String> unk) {
    public static final SpecialTokens NONE = new SpecialTokens(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());

    /** Reads them from a parsed {@code tokenizer_config.json}; {@code file} is for messages. */
    static SpecialTokens fromTokenizerConfig(JsonNode config, String file) {
        return new SpecialTokens(token(config, "bos_token", file), token(config, "eos_token", file),
                token(config, "pad_token", file), token(config, "unk_token", file));
    }

    static Optional<String> token(JsonNode config, String field, String file) {
        JsonNode node = config.get(field);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (node.isTextual()) {
            return Optional.of(node.textValue());
        }
        if (node.isObject() && node.path("content").isTextual()) {
            return Optional.of(node.get("content").textValue());
        }
        throw new IllegalArgumentException(file + ": field '" + field
                + "' must be a string or an object with 'content', got " + node);
    }
}
