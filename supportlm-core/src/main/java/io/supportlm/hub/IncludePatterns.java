package io.supportlm.hub;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Which repository files a pull fetches: a list of globs over repo paths. {@code *} and {@code ?} stay within
 * one path segment, {@code **} crosses {@code /}; everything else is literal. So {@code *.json} takes the
 * top-level JSON files only and {@code onnx/**} a whole folder.
 *
 * <p>The default set is what a model loader needs: configuration, tokenizer, generation and chat-template
 * files and the safetensors weights (with their shard index), leaving out the duplicate weight formats
 * ({@code .bin}, {@code .onnx}, {@code .gguf}, {@code .h5}, {@code .msgpack}) repositories often carry.
 */
public record IncludePatterns(List<String> globs) {
    public static final List<String> DEFAULT_GLOBS = List.of(
            "*.json", "*.safetensors", "*.jinja", "tokenizer.model", "spiece.model", "merges.txt", "vocab.txt");

    public IncludePatterns {
        if (globs == null || globs.isEmpty()) {
            throw new IllegalArgumentException("include patterns: expected at least one glob");
        }
        globs = List.copyOf(globs);
        for (String glob : globs) {
            if (glob == null || glob.isBlank()) {
                throw new IllegalArgumentException("include patterns: a glob is empty");
            }
            if (glob.startsWith("/")) {
                throw new IllegalArgumentException("include pattern '" + glob + "': repo paths are relative, drop the leading '/'");
            }
        }
    }

    public static IncludePatterns defaults() {
        return new IncludePatterns(DEFAULT_GLOBS);
    }

    /** The given globs, or the defaults when there are none. */
    public static IncludePatterns orDefaults(List<String> globs) {
        return globs == null || globs.isEmpty() ? defaults() : new IncludePatterns(globs);
    }

    public boolean matches(String repoPath) {
        for (String glob : globs) {
            if (toRegex(glob).matcher(repoPath).matches()) {
                return true;
            }
        }
        return false;
    }

    static Pattern toRegex(String glob) {
        StringBuilder regex = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '*' && i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
                regex.append(".*");
                i++;
            } else if (c == '*') {
                regex.append("[^/]*");
            } else if (c == '?') {
                regex.append("[^/]");
            } else {
                regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(regex.toString());
    }
}
