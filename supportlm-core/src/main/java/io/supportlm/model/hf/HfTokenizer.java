package io.supportlm.model.hf;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A Hugging Face fast tokenizer ({@code tokenizer.json}) run by the Rust {@code tokenizers}
 * library through DJL's JNI binding, so encodings are those of transformers' fast tokenizers.
 *
 * <p>As transformers does on every call, the padding and truncation settings stored in
 * {@code tokenizer.json} are switched off; truncation is asked for per call and padding is done
 * here (left or right) for batches. Special tokens come from {@code tokenizer_config.json}; ids the
 * config lacks fall back to {@code config.json}'s {@code bos/eos/pad_token_id}.
 *
 * <p>Runtime: the DJL jar carries the native library for linux-x86_64/aarch64, osx-aarch64 and
 * win-x86_64; DJL extracts it on first use into its cache ({@code ~/.djl.ai}, or the directory in
 * the {@code DJL_CACHE_DIR} system property or environment variable). DJL would download the
 * library for other platforms from its CDN; this class switches DJL to offline mode (system
 * property {@code ai.djl.offline=true}, unless already set) so that such a platform gets a clear
 * error instead of a network call.
 */
public final class HfTokenizer implements AutoCloseable {
    static {
        if (System.getProperty("ai.djl.offline") == null && System.getenv("DJL_OFFLINE") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
    }

    /** Which side of a shorter sequence the padding goes on. */
    public enum PaddingSide { LEFT, RIGHT }

    /**
     * One encoded text: token ids, attention mask (1 = token, 0 = padding), and each token's
     * {@code [start, end)} in the input as Java {@code char} (UTF-16) indices, so that
     * {@code text.substring(start, end)} is the token's source ({@code [0, 0]} for added special
     * tokens). transformers reports code-point indices instead; they differ only after characters
     * outside the Basic Multilingual Plane (emoji).
     */
    public record Encoding(int[] ids, int[] attentionMask, int[][] offsets, String[] tokens) {
        public int length() {
            return ids.length;
        }
    }

    /** A padded batch: rows of equal length. */
    public record Batch(int[][] ids, int[][] attentionMask) {
        public int size() {
            return ids.length;
        }

        public int length() {
            return ids.length == 0 ? 0 : ids[0].length;
        }
    }

    private final Path file;
    private final HuggingFaceTokenizer tokenizer;
    private final Map<Integer, HuggingFaceTokenizer> truncating = new ConcurrentHashMap<>();
    private final SpecialTokens specialTokens;
    private final OptionalInt bosId;
    private final OptionalInt eosId;
    private final OptionalInt padId;
    private final OptionalInt unkId;

    private HfTokenizer(Path file, HuggingFaceTokenizer tokenizer, SpecialTokens specialTokens, JsonNode modelConfig) {
        this.file = file;
        this.tokenizer = tokenizer;
        this.specialTokens = specialTokens;
        this.bosId = idOf(specialTokens.bos(), modelConfig, "bos_token_id");
        this.eosId = idOf(specialTokens.eos(), modelConfig, "eos_token_id");
        this.padId = idOf(specialTokens.pad(), modelConfig, "pad_token_id");
        this.unkId = idOf(specialTokens.unk(), null, null);
    }

    /**
     * Loads {@code tokenizer.json} from a model directory, with {@code tokenizer_config.json} and
     * {@code config.json} when present.
     */
    public static HfTokenizer load(Path modelDir) {
        Path json = modelDir.resolve("tokenizer.json");
        Path config = modelDir.resolve("tokenizer_config.json");
        Path modelConfig = modelDir.resolve("config.json");
        return load(json, Files.isRegularFile(config) ? config : null, Files.isRegularFile(modelConfig) ? modelConfig : null);
    }

    /** Loads a tokenizer file; the two configs may be null. */
    public static HfTokenizer load(Path tokenizerJson, Path tokenizerConfig, Path modelConfig) {
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new IllegalArgumentException(tokenizerJson + ": no such tokenizer file");
        }
        SpecialTokens special = tokenizerConfig == null ? SpecialTokens.NONE
                : SpecialTokens.fromTokenizerConfig(JsonFiles.readObject(tokenizerConfig), tokenizerConfig.toString());
        JsonNode model = modelConfig == null ? null : JsonFiles.readObject(modelConfig);
        HuggingFaceTokenizer t = build(tokenizerJson, 0);
        try {
            return new HfTokenizer(tokenizerJson, t, special, model);
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
    }

    private static HuggingFaceTokenizer build(Path tokenizerJson, int maxLength) {
        try {
            HuggingFaceTokenizer.Builder b = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(tokenizerJson)
                    .optAddSpecialTokens(true)
                    .optPadding(false)
                    .optTruncation(maxLength > 0);
            if (maxLength > 0) {
                b.optMaxLength(maxLength);
            }
            return b.build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load tokenizer " + tokenizerJson + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(tokenizerJson + ": not a valid Hugging Face tokenizer.json: " + e.getMessage(), e);
        }
    }

    private OptionalInt idOf(Optional<String> token, JsonNode modelConfig, String configField) {
        if (token.isPresent()) {
            int id = tokenToId(token.get());
            if (id < 0) {
                throw new IllegalArgumentException(file + ": special token '" + token.get()
                        + "' from tokenizer_config.json is not a single token of the vocabulary");
            }
            return OptionalInt.of(id);
        }
        if (modelConfig != null && configField != null) {
            JsonNode n = modelConfig.get(configField);
            if (n != null && n.isIntegralNumber()) {
                return OptionalInt.of(n.intValue());
            }
            if (n != null && n.isArray() && !n.isEmpty() && n.get(0).isIntegralNumber()) {
                return OptionalInt.of(n.get(0).intValue()); // a list of eos ids: the first is the tokenizer's
            }
        }
        return OptionalInt.empty();
    }

    /** The id of a token string when it encodes to exactly one token, else -1. */
    public int tokenToId(String token) {
        long[] ids = tokenizer.encode(token, false, false).getIds();
        return ids.length == 1 ? Math.toIntExact(ids[0]) : -1;
    }

    /** Encodes one text, with the tokenizer's special tokens (e.g. [CLS] ... [SEP]) when asked. */
    public Encoding encode(String text, boolean addSpecialTokens) {
        return convert(text, tokenizer.encode(text, addSpecialTokens, false));
    }

    /**
     * Encodes one text truncated to at most {@code maxLength} tokens (special tokens included, as
     * transformers' {@code truncation=True, max_length=n}).
     */
    public Encoding encode(String text, boolean addSpecialTokens, int maxLength) {
        return convert(text, truncating(maxLength).encode(text, addSpecialTokens, false));
    }

    /**
     * Encodes texts and pads them to the longest with the pad token on the given side;
     * {@code maxLength} &gt; 0 truncates each first.
     */
    public Batch encodeBatch(List<String> texts, boolean addSpecialTokens, int maxLength, PaddingSide side) {
        HuggingFaceTokenizer t = maxLength > 0 ? truncating(maxLength) : tokenizer;
        ai.djl.huggingface.tokenizers.Encoding[] encodings = t.batchEncode(texts, addSpecialTokens, false);
        int longest = 0;
        for (var e : encodings) {
            longest = Math.max(longest, e.getIds().length);
        }
        boolean needsPad = false;
        for (var e : encodings) {
            needsPad |= e.getIds().length < longest;
        }
        if (needsPad && padId.isEmpty()) {
            throw new IllegalStateException(file + ": padding a batch needs a pad token, and neither "
                    + "tokenizer_config.json nor config.json names one");
        }
        int[][] ids = new int[encodings.length][longest];
        int[][] mask = new int[encodings.length][longest];
        for (int i = 0; i < encodings.length; i++) {
            long[] row = encodings[i].getIds();
            int pad = longest - row.length;
            int start = side == PaddingSide.LEFT ? pad : 0;
            if (pad > 0) {
                Arrays.fill(ids[i], padId.getAsInt());
            }
            for (int j = 0; j < row.length; j++) {
                ids[i][start + j] = Math.toIntExact(row[j]);
                mask[i][start + j] = 1;
            }
        }
        return new Batch(ids, mask);
    }

    private HuggingFaceTokenizer truncating(int maxLength) {
        if (maxLength <= 0) {
            throw new IllegalArgumentException("maxLength must be positive, got " + maxLength);
        }
        return truncating.computeIfAbsent(maxLength, n -> build(file, n));
    }

    private static Encoding convert(String text, ai.djl.huggingface.tokenizers.Encoding e) {
        long[] ids = e.getIds();
        long[] mask = e.getAttentionMask();
        CharSpan[] spans = e.getCharTokenSpans();
        int[] outIds = new int[ids.length];
        int[] outMask = new int[ids.length];
        int[][] offsets = new int[ids.length][];
        int[] charOf = charIndexes(text);
        for (int i = 0; i < ids.length; i++) {
            outIds[i] = Math.toIntExact(ids[i]);
            outMask[i] = (int) mask[i];
            CharSpan s = spans == null || i >= spans.length ? null : spans[i];
            offsets[i] = s == null ? new int[] {0, 0} : new int[] {charIndex(charOf, text, s.getStart()), charIndex(charOf, text, s.getEnd())};
        }
        return new Encoding(outIds, outMask, offsets, e.getTokens());
    }

    /**
     * The UTF-16 index of each code point of {@code text} (DJL, like Python, counts code points), or
     * null when the two agree (no character outside the Basic Multilingual Plane); computed once
     * per text, so converting all offsets stays linear in its length.
     */
    private static int[] charIndexes(String text) {
        int points = text.codePointCount(0, text.length());
        if (points == text.length()) {
            return null;
        }
        int[] index = new int[points + 1];
        for (int p = 0, c = 0; p < points; p++) {
            index[p] = c;
            c += Character.charCount(text.codePointAt(c));
        }
        index[points] = text.length();
        return index;
    }

    private static int charIndex(int[] charIndexes, String text, int codePoint) {
        return charIndexes == null ? Math.min(codePoint, text.length()) : charIndexes[Math.min(codePoint, charIndexes.length - 1)];
    }

    /** Decodes ids to text, optionally dropping special tokens. */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        long[] longs = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            longs[i] = ids[i];
        }
        return tokenizer.decode(longs, skipSpecialTokens);
    }

    /** Decodes each row of a batch. */
    public List<String> decodeBatch(int[][] ids, boolean skipSpecialTokens) {
        List<String> out = new ArrayList<>(ids.length);
        for (int[] row : ids) {
            out.add(decode(row, skipSpecialTokens));
        }
        return out;
    }

    public SpecialTokens specialTokens() {
        return specialTokens;
    }

    public OptionalInt bosId() {
        return bosId;
    }

    public OptionalInt eosId() {
        return eosId;
    }

    public OptionalInt padId() {
        return padId;
    }

    public OptionalInt unkId() {
        return unkId;
    }

    public Path file() {
        return file;
    }

    @Override
    public void close() {
        tokenizer.close();
        truncating.values().forEach(HuggingFaceTokenizer::close);
    }
}
