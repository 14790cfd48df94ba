package io.supportlm.sft.data;

import io.supportlm.sft.ChatMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A small task a tiny decoder learns in a few hundred steps, for trainer and evaluation tests: each
 * customer question belongs to one of a few intents (several phrasings each) and the reply is the
 * intent's fixed answer. A model that learned it answers every phrasing with its intent's answer
 * and stops; a random model does neither. Preference pairs prefer the right answer over another
 * intent's.
 */
public final class SyntheticSftTask {
    /** An intent: how customers ask, and the one answer. */
    public record Intent(String name, List<String> questions, String answer) {}

    public static final List<Intent> INTENTS = List.of(
            new Intent("refund", List.of("I want my money back", "how do I get a refund?", "refund my order please"),
                    "Refunds reach your card within 5 days."),
            new Intent("shipping", List.of("where is my parcel?", "when does my order arrive?", "track my package"),
                    "Your parcel ships today."),
            new Intent("password", List.of("I forgot my password", "reset my password", "cannot log in"),
                    "Use the reset link on the login page."),
            new Intent("cancel", List.of("cancel my order", "I do not want the order anymore", "stop my purchase"),
                    "Your order is cancelled."));

    private SyntheticSftTask() {}

    /** {@code n} single-exchange conversations, drawn with {@code seed}; sources {@code synthetic:i}. */
    public static List<Conversation> conversations(int n, long seed) {
        Random random = new Random(seed);
        List<Conversation> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Intent intent = INTENTS.get(random.nextInt(INTENTS.size()));
            String question = intent.questions().get(random.nextInt(intent.questions().size()));
            out.add(Conversation.of("synthetic:" + i, List.of(new ChatMessage("user", question), new ChatMessage("assistant", intent.answer()))));
        }
        return out;
    }

    /** {@code n} pairs: the intent's answer chosen, another intent's answer rejected. */
    public static List<PreferencePair> preferencePairs(int n, long seed) {
        Random random = new Random(seed);
        List<PreferencePair> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int k = random.nextInt(INTENTS.size());
            Intent intent = INTENTS.get(k);
            Intent other = INTENTS.get((k + 1 + random.nextInt(INTENTS.size() - 1)) % INTENTS.size());
            String question = intent.questions().get(random.nextInt(intent.questions().size()));
            out.add(new PreferencePair("synthetic:" + i, List.of(new ChatMessage("user", question)), intent.answer(), other.answer()));
        }
        return out;
    }

    /** The answer for a question of the task, or null for a question it does not contain. */
    public static String answerFor(String question) {
        for (Intent intent : INTENTS) {
            if (intent.questions().contains(question)) {
                return intent.answer();
            }
        }
        return null;
    }
}
