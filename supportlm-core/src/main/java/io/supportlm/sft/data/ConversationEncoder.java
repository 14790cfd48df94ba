package io.supportlm.sft.data;

import io.supportlm.model.hf.ChatTemplateException;
import io.supportlm.model.hf.HfTokenizer;
import io.supportlm.model.hf.ModelDirectory;
import io.supportlm.sft.ChatMessage;
import io.supportlm.sft.SftExample;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Renders a conversation with a {@link ChatFormat}, tokenizes it and labels the assistant's
 * trained replies, nothing else.
 *
 * <p>Where a reply lies is found by rendering, not by searching the text: for the reply at message
 * {@code i}, the conversation up to {@code i} with the generation prompt, and up to and including
 * {@code i}, are rendered and tokenized; both must be token prefixes of the whole conversation
 * (templates and tokenizers for which that fails are rejected with the first differing token).
 * The reply's tokens are those between the two prefixes; they are labelled up to and including
 * the last stop token among them (the template's end-of-turn, e.g. {@code <|im_end|>},
 * {@code <end_of_turn>}, {@code </s>}); what the template writes after it (a newline) is not
 * labelled, since generation stops before it. A reply whose rendering holds no stop token gets the
 * EOS token inserted after it, labelled, so a trained model always learns to stop.
 *
 * <p>Stop tokens are the tokenizer's EOS, the ids given (a model's {@code generation_config.json}
 * {@code eos_token_id}s) and {@link SftDataConfig#stopTokens()}. Tokenization adds no special
 * tokens of its own: templates write BOS themselves, as with transformers'
 * {@code apply_chat_template(tokenize=True)}.
 */
public final class ConversationEncoder {
    /**
     * One encoded conversation: {@code example} with trailing unlabelled tokens removed, and
     * {@code promptLength}, the number of tokens before the last reply (the conversation up to it
     * with the generation prompt).
     */
    public record Encoded(SftExample example, int promptLength) {
        public int length() {
            return example.length();
        }
    }

    private final ChatFormat format;
    private final HfTokenizer tokenizer;
    private final Set<Integer> stopIds;
    private final int appendedStopId;

    /**
     * @param extraStopIds ids that end generation besides the tokenizer's EOS (may be empty)
     * @param stopTokens   token strings that do the same, each one token of the vocabulary
     */
    public ConversationEncoder(ChatFormat format, HfTokenizer tokenizer, Collection<Integer> extraStopIds, List<String> stopTokens) {
        this.format = Objects.requireNonNull(format, "format");
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        Set<Integer> ids = new LinkedHashSet<>();
        tokenizer.eosId().ifPresent(ids::add);
        ids.addAll(extraStopIds);
        for (String token : stopTokens) {
            int id = tokenizer.tokenToId(token);
            if (id < 0) {
                throw new IllegalArgumentException("stop_tokens: '" + token + "' is not one token of the vocabulary of "
                        + tokenizer.file());
            }
            ids.add(id);
        }
        if (ids.isEmpty()) {
            throw new IllegalArgumentException(tokenizer.file() + ": no EOS token (tokenizer_config.json eos_token or config.json "
                    + "eos_token_id) and no stop_tokens: a model trained without one would never stop");
        }
        this.stopIds = Set.copyOf(ids);
        this.appendedStopId = tokenizer.eosId().orElse(ids.iterator().next());
    }

    /**
     * The encoder for a model directory: its chat template (or the plain format when it has none),
     * with the {@code eos_token_id}s of its generation config as stop tokens besides the EOS.
     */
    public static ConversationEncoder forModel(ModelDirectory model, HfTokenizer tokenizer, List<String> stopTokens) {
        return new ConversationEncoder(ChatFormat.forModel(model, tokenizer), tokenizer, model.generationConfig().eosTokenIds(),
                stopTokens);
    }

    /** Every id that counts as the end of a reply. */
    public Set<Integer> stopIds() {
        return stopIds;
    }

    /** The id inserted after a reply whose rendering has no stop token: the EOS. */
    public int appendedStopId() {
        return appendedStopId;
    }

    public ChatFormat format() {
        return format;
    }

    public HfTokenizer tokenizer() {
        return tokenizer;
    }

    /** The tokens of a prompt (a conversation ending with the user) with the generation prompt. */
    public int[] promptIds(List<ChatMessage> prompt, String source) {
        return tokens(render(prompt, true, source));
    }

    /** The tokens of a text, without added special tokens. */
    int[] tokens(String text) {
        return tokenizer.encode(text, false).ids();
    }

    /** Encodes the whole conversation, untruncated. */
    public Encoded encode(Conversation c) {
        List<ChatMessage> m = c.messages();
        int n = m.size();
        String source = c.source();
        int[] full = tokens(render(m, false, source));
        boolean[] labelled = new boolean[full.length];
        List<Integer> insertBefore = new ArrayList<>(); // positions of full before which the EOS goes
        int lastPrompt = -1;
        for (int i = 0; i < n; i++) {
            if (!c.trains(i)) {
                continue;
            }
            int[] prompt = tokens(render(m.subList(0, i), true, source));
            int[] upTo = i == n - 1 ? full : tokens(render(m.subList(0, i + 1), false, source));
            requirePrefix(prompt, upTo, source, i, "the conversation before it with the generation prompt",
                    "the conversation up to and including it");
            if (upTo != full) {
                requirePrefix(upTo, full, source, i, "the conversation up to and including it", "the whole conversation");
            }
            int start = prompt.length;
            int end = upTo.length;
            if (end <= start) {
                throw new IllegalArgumentException(source + ": messages[" + i + "]: the assistant reply renders to no tokens");
            }
            int stop = -1;
            for (int t = end - 1; t >= start && stop < 0; t--) {
                if (stopIds.contains(full[t])) {
                    stop = t;
                }
            }
            Arrays.fill(labelled, start, stop >= 0 ? stop + 1 : end, true);
            if (stop < 0) {
                insertBefore.add(end);
            }
            if (i == n - 1) {
                lastPrompt = start;
            }
        }
        return assemble(full, labelled, insertBefore, lastPrompt);
    }

    /** Inserts the EOS tokens, drops the unlabelled tail, never labels the first token. */
    private Encoded assemble(int[] full, boolean[] labelled, List<Integer> insertBefore, int lastPrompt) {
        int total = full.length + insertBefore.size();
        int[] ids = new int[total];
        int[] labels = new int[total];
        int out = 0;
        int next = 0; // index into insertBefore (ascending)
        int promptLength = -1;
        int lastLabel = -1;
        for (int t = 0; t <= full.length; t++) {
            while (next < insertBefore.size() && insertBefore.get(next) == t) {
                ids[out] = appendedStopId;
                labels[out] = appendedStopId;
                lastLabel = out++;
                next++;
            }
            if (t == full.length) {
                break;
            }
            if (t == lastPrompt) {
                promptLength = out;
            }
            ids[out] = full[t];
            labels[out] = labelled[t] ? full[t] : SftExample.IGNORE;
            if (labelled[t]) {
                lastLabel = out;
            }
            out++;
        }
        labels[0] = SftExample.IGNORE; // nothing precedes it, and packed it would be predicted from another example
        int keep = lastLabel + 1;
        return new Encoded(new SftExample(Arrays.copyOf(ids, keep), Arrays.copyOf(labels, keep)), promptLength);
    }

    String render(List<ChatMessage> messages, boolean addGenerationPrompt, String source) {
        try {
            return format.render(messages, addGenerationPrompt);
        } catch (ChatTemplateException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    private void requirePrefix(int[] prefix, int[] whole, String source, int message, String prefixName, String wholeName) {
        int k = 0;
        int limit = Math.min(prefix.length, whole.length);
        while (k < limit && prefix[k] == whole[k]) {
            k++;
        }
        if (k == prefix.length) {
            return;
        }
        String at = k < whole.length
                ? "they differ at token " + k + ": " + show(prefix, k) + " vs " + show(whole, k)
                : "the prefix is longer (" + prefix.length + " vs " + whole.length + " tokens)";
        throw new IllegalArgumentException(source + ": messages[" + message + "] (assistant): " + format.describe()
                + " is not prefix-stable: the tokens of " + prefixName + " are not a prefix of the tokens of " + wholeName
                + " (" + at + "), so the reply's tokens cannot be located. The template renders a turn differently depending "
                + "on what follows it (as Qwen3 drops <think> blocks from earlier turns), or the tokenizer merges text across "
                + "the turn boundary.");
    }

    /** The text of tokens {@code k-3 .. k+3}, the differing one in brackets. */
    private String show(int[] ids, int k) {
        int from = Math.max(0, k - 3);
        int to = Math.min(ids.length, k + 4);
        String before = tokenizer.decode(Arrays.copyOfRange(ids, from, k), false);
        String at = tokenizer.decode(new int[] {ids[k]}, false);
        String after = tokenizer.decode(Arrays.copyOfRange(ids, k + 1, to), false);
        return "\"" + escape(before) + "[" + escape(at) + "]" + escape(after) + "\"";
    }

    private static String escape(String s) {
        return s.replace("\n", "\\n");
    }
}
