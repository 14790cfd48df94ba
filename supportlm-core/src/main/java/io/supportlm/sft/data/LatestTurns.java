package io.supportlm.sft.data;

import io.supportlm.model.hf.HfTokenizer;
import io.supportlm.sft.ChatMessage;
import io.supportlm.sft.SftExample;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Truncation that keeps the system prompt and the latest turns ({@link SftDataConfig.Truncation#LATEST_TURNS}).
 *
 * <p>Works on a prompt (every message before the final reply) and one or more final replies to it
 * (one for SFT; chosen and rejected for DPO, which must keep the same prompt):
 * <ol>
 *   <li>When every encoding fits in {@code maxLength}, nothing changes.</li>
 *   <li>Else the oldest exchanges are dropped (an exchange: user turns and the assistant reply
 *       after them), as few as needed, the system message kept.</li>
 *   <li>If only the last exchange is left and it is still too long, the prompt gets
 *       {@code max(maxLength - reply, min(prompt, maxLength / 2))} tokens: the start of its user
 *       text is cut (the earliest user message first) until it fits. Long replies therefore never
 *       squeeze the question below half the budget.</li>
 *   <li>A reply still too long is cut at its end. Its end-of-turn and EOS are cut with it and not
 *       re-added: an EOS after half a reply would teach the model to stop mid-sentence. The EOS
 *       stays labelled exactly when the whole reply fits.</li>
 * </ol>
 */
final class LatestTurns {
    private LatestTurns() {}

    /** The encodings of prompt + each reply, and what truncation did. */
    record Fitted(List<ConversationEncoder.Encoded> encodings, boolean truncated, boolean replyCut) {}

    static Fitted fit(ConversationEncoder encoder, List<ChatMessage> prompt, int trainFrom, List<String> replies,
                      int maxLength, String source) {
        List<ConversationEncoder.Encoded> all = encodeAll(encoder, prompt, trainFrom, replies, source);
        if (fits(all, maxLength)) {
            return new Fitted(all, false, false);
        }
        int head = prompt.getFirst().role().equals("system") ? 1 : 0;
        List<Integer> cuts = new ArrayList<>(); // drop messages [head, cut) to drop the oldest exchanges
        for (int i = head; i + 1 < prompt.size(); i++) {
            if (prompt.get(i).isAssistant() && !prompt.get(i + 1).isAssistant()) {
                cuts.add(i + 1);
            }
        }
        // fewest dropped exchanges that fit: binary search, as dropping more never makes it longer
        int lo = 1;
        int hi = cuts.size();
        List<ConversationEncoder.Encoded> best = null;
        List<ConversationEncoder.Encoded> lastExchange = cuts.isEmpty() ? all : null; // encodings with every exchange dropped
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int cut = cuts.get(mid - 1);
            List<ConversationEncoder.Encoded> e =
                    encodeAll(encoder, drop(prompt, head, cut), trainFrom(trainFrom, head, cut), replies, source);
            if (mid == cuts.size()) {
                lastExchange = e;
            }
            if (fits(e, maxLength)) {
                best = e;
                hi = mid - 1;
            } else {
                lo = mid + 1;
            }
        }
        if (best != null) {
            return new Fitted(best, true, false);
        }
        int cut = cuts.isEmpty() ? head : cuts.getLast();
        return cutLastExchange(encoder, new ArrayList<>(drop(prompt, head, cut)), trainFrom(trainFrom, head, cut), head, replies,
                lastExchange, maxLength, source);
    }

    /** {@code encoded}: the encodings of {@code prompt} with each reply (the prompt holds no trained reply of its own). */
    private static Fitted cutLastExchange(ConversationEncoder encoder, List<ChatMessage> prompt, int trainFrom, int head,
                                          List<String> replies, List<ConversationEncoder.Encoded> encoded, int maxLength, String source) {
        int promptLength = encoded.getFirst().promptLength();
        int reply = 0;
        for (ConversationEncoder.Encoded e : encoded) {
            reply = Math.max(reply, e.length() - e.promptLength());
        }
        boolean promptCut = false;
        int budget = Math.max(maxLength - reply, Math.min(promptLength, maxLength / 2));
        HfTokenizer tokenizer = encoder.tokenizer();
        int lastUser = -1;
        for (int i = head; i < prompt.size(); i++) {
            lastUser = prompt.get(i).role().equals("user") ? i : lastUser;
        }
        int i = head; // the user message being cut: the earliest of the exchange first
        while (promptLength > budget && i <= lastUser) {
            promptCut = true;
            if (!prompt.get(i).role().equals("user")) {
                i++;
                continue;
            }
            String content = prompt.get(i).content();
            HfTokenizer.Encoding tokens = tokenizer.encode(content, false);
            int drop = promptLength - budget;
            while (promptLength > budget && drop < tokens.length()) {
                prompt.set(i, new ChatMessage("user", content.substring(tokens.offsets()[drop][0])));
                int now = encoder.promptIds(prompt, source).length;
                drop += Math.max(1, now - budget);
                promptLength = now;
            }
            if (promptLength > budget) {
                if (i == lastUser) {
                    prompt.set(i, new ChatMessage("user", ""));
                    promptLength = encoder.promptIds(prompt, source).length;
                    break;
                }
                prompt.remove(i); // an earlier user message of the exchange goes whole, then the next one is cut
                lastUser--;
                trainFrom -= trainFrom > i ? 1 : 0;
                promptLength = encoder.promptIds(prompt, source).length;
            }
        }
        if (promptLength >= maxLength) {
            throw new IllegalArgumentException(source + ": even with its user text removed the prompt takes " + promptLength
                    + " tokens (system prompt and template), leaving no room for the reply in max_length " + maxLength);
        }
        List<ConversationEncoder.Encoded> cut = new ArrayList<>();
        boolean replyCut = false;
        for (ConversationEncoder.Encoded e : !promptCut ? encoded : encodeAll(encoder, prompt, trainFrom, replies, source)) {
            if (e.length() > maxLength) {
                SftExample x = e.example();
                e = new ConversationEncoder.Encoded(
                        new SftExample(Arrays.copyOf(x.ids(), maxLength), Arrays.copyOf(x.labels(), maxLength)), e.promptLength());
                replyCut = true;
            }
            cut.add(e);
        }
        return new Fitted(cut, true, replyCut);
    }

    private static List<ChatMessage> drop(List<ChatMessage> prompt, int head, int cut) {
        List<ChatMessage> out = new ArrayList<>(prompt.subList(0, head));
        out.addAll(prompt.subList(cut, prompt.size()));
        return out;
    }

    private static int trainFrom(int trainFrom, int head, int cut) {
        return Math.max(head, trainFrom - (cut - head));
    }

    private static List<ConversationEncoder.Encoded> encodeAll(ConversationEncoder encoder, List<ChatMessage> prompt, int trainFrom,
                                                             List<String> replies, String source) {
        List<ConversationEncoder.Encoded> out = new ArrayList<>(replies.size());
        for (String reply : replies) {
            List<ChatMessage> messages = new ArrayList<>(prompt);
            messages.add(new ChatMessage("assistant", reply));
            out.add(encoder.encode(new Conversation(source, messages, Math.min(trainFrom, prompt.size()))));
        }
        return out;
    }

    private static boolean fits(List<ConversationEncoder.Encoded> encodings, int maxLength) {
        for (ConversationEncoder.Encoded e : encodings) {
            if (e.length() > maxLength) {
                return false;
            }
        }
        return true;
    }
}
