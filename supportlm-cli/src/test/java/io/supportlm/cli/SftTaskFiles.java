package io.supportlm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The files of a reply task a tiny decoder learns in a few hundred steps (the CLI's counterpart of
 * the core tests' {@code SyntheticSftTask}): each customer question belongs to one of four
 * intents, asked three ways, and the reply is the intent's fixed answer. A model that learned it
 * answers with its intent's answer and stops; a random model does neither.
 *
 * <ul>
 *   <li>{@code train.jsonl}, {@code validation.jsonl}: {@code {"messages": [user, assistant]}};</li>
 *   <li>{@code suite.jsonl}: one evaluation question per phrasing, the answer as reference;</li>
 *   <li>{@code pairs.jsonl}, {@code pairs-validation.jsonl}: {@code {"prompt", "chosen", "rejected"}},
 *       the intent's answer chosen over a curt "No."</li>
 * </ul>
 */
final class SftTaskFiles {
    record Intent(String name, List<String> questions, String answer) {}

    static final List<Intent> INTENTS = List.of(
            new Intent("refund", List.of("I want my money back", "how do I get a refund?", "refund my order please"),
                    "Refunds take 5 days."),
            new Intent("shipping", List.of("where is my parcel?", "when does my order arrive?", "track my package"),
                    "Your parcel ships today."),
            new Intent("password", List.of("I forgot my password", "reset my password", "cannot log in"),
                    "Use the reset link."),
            new Intent("cancel", List.of("cancel my order", "I do not want the order anymore", "stop my purchase"),
                    "Your order is cancelled."));

    private static final ObjectMapper JSON = new ObjectMapper();

    private SftTaskFiles() {}

    static void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.write(dir.resolve("train.jsonl"), conversations(96, 1));
        Files.write(dir.resolve("validation.jsonl"), conversations(16, 2));
        Files.write(dir.resolve("pairs.jsonl"), pairs(48, 3));
        Files.write(dir.resolve("pairs-validation.jsonl"), pairs(16, 4));
        List<String> suite = new ArrayList<>();
        for (Intent intent : INTENTS) {
            for (int q = 0; q < intent.questions().size(); q++) {
                ObjectNode item = JSON.createObjectNode().put("id", intent.name() + "-" + q).put("question", intent.questions().get(q))
                        .put("reference", intent.answer()).put("intent", intent.name()).put("source", "synthetic");
                suite.add(JSON.writeValueAsString(item));
            }
        }
        Files.write(dir.resolve("suite.jsonl"), suite);
    }

    static List<String> conversations(int n, long seed) throws IOException {
        Random random = new Random(seed);
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Intent intent = INTENTS.get(random.nextInt(INTENTS.size()));
            ObjectNode record = JSON.createObjectNode();
            var messages = record.putArray("messages");
            messages.addObject().put("role", "user").put("content", intent.questions().get(random.nextInt(intent.questions().size())));
            messages.addObject().put("role", "assistant").put("content", intent.answer());
            out.add(JSON.writeValueAsString(record));
        }
        return out;
    }

    static List<String> pairs(int n, long seed) throws IOException {
        Random random = new Random(seed);
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Intent intent = INTENTS.get(random.nextInt(INTENTS.size()));
            out.add(JSON.writeValueAsString(JSON.createObjectNode()
                    .put("prompt", intent.questions().get(random.nextInt(intent.questions().size())))
                    .put("chosen", intent.answer()).put("rejected", "No.")));
        }
        return out;
    }
}
