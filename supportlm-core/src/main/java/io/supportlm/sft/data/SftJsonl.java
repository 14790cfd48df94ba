package io.supportlm.sft.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.supportlm.data.Jsonl;
import io.supportlm.data.SupportRecord;
import io.supportlm.sft.ChatMessage;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Reads training conversations and preference pairs from JSON Lines, one record per line, and
 * writes conversations back. The format is recognised per line by its keys:
 * <ul>
 *   <li>{@code inputs}: a supportlm record ({@link SupportRecord}, strict: unknown fields are
 *       errors). Messages: {@code inputs.history} as earlier turns (context, not trained), then one
 *       user turn made of {@code inputs.context}, the main text ({@code text}, or
 *       {@code subject} and {@code body}) and {@code inputs.question} (when it differs from the
 *       main text), separated by blank lines; then {@code outputs.answer} as the trained reply.</li>
 *   <li>{@code messages}: TRL's conversational format, {@code [{"role", "content"}, …]}; every
 *       assistant turn is trained.</li>
 *   <li>{@code prompt} + {@code completion}: a string pair (the prompt becomes a user turn), or
 *       TRL's conversational pair (message lists); only the completion is trained.</li>
 *   <li>{@code prompt} + {@code chosen} + {@code rejected}: TRL's explicit-prompt preference
 *       format, for DPO ({@link #readPreferences}); the prompt is a string or messages, each
 *       reply a string or a one-message assistant list.</li>
 * </ul>
 * Roles are system, user and assistant; content is a string or a list of {@code {"type": "text"}}
 * parts (joined). In the last three formats other top-level keys (an id, metadata) are ignored.
 * Blank lines are skipped. Every error names {@code file:line} and the field.
 *
 * <p>A record without an assistant reply (no answer, no assistant turn, an empty completion or
 * chosen/rejected reply) is an error, unless {@code skipIncomplete} is set: then it is counted in
 * {@link Read#skipped()} with its place in {@link Read#skippedSources()}. Nothing else is dropped.
 */
public final class SftJsonl {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SftJsonl() {}

    /** What a file held: the records read, and those skipped for lacking a reply. */
    public record Read<T>(List<T> items, int skipped, List<String> skippedSources) {
        public Read {
            items = List.copyOf(items);
            skippedSources = List.copyOf(skippedSources);
        }
    }

    /** A record without an assistant reply: skippable on request, unlike every other error. */
    static final class MissingReply extends IllegalArgumentException {
        MissingReply(String message) {
            super(message);
        }
    }

    /** Reads SFT conversations (formats supportlm record, messages, prompt/completion). */
    public static Read<Conversation> readConversations(Path file, boolean skipIncomplete) throws IOException {
        return read(file, skipIncomplete, SftJsonl::conversation);
    }

    /** Reads DPO pairs ({@code prompt}, {@code chosen}, {@code rejected}). */
    public static Read<PreferencePair> readPreferences(Path file, boolean skipIncomplete) throws IOException {
        return read(file, skipIncomplete, SftJsonl::preference);
    }

    private static <T> Read<T> read(Path file, boolean skipIncomplete, BiFunction<JsonNode, String, T> parse) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + ": no such file");
        }
        List<T> items = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        Jsonl.forEachLine(file, "re-save it as UTF-8", (line, lineNo) -> {
            String source = file + ":" + lineNo;
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException(source + ": not valid JSON: " + e.getOriginalMessage(), e);
            }
            if (!node.isObject()) {
                throw new IllegalArgumentException(source + ": a record must be a JSON object, got " + node.getNodeType());
            }
            try {
                items.add(parse.apply(node, source));
            } catch (MissingReply e) {
                if (!skipIncomplete) {
                    throw new IllegalArgumentException(source + ": " + e.getMessage()
                            + " (a record without an assistant reply cannot be trained on; skip_incomplete skips and counts "
                            + "such records)", e);
                }
                skipped.add(source);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
            }
        });
        return new Read<>(items, skipped.size(), skipped);
    }

    // --- formats --------------------------------------------------------------------------------

    static Conversation conversation(JsonNode node, String source) {
        if (node.has("inputs")) {
            return fromSupportRecord(node, source);
        }
        if (node.has("chosen") || node.has("rejected")) {
            throw new IllegalArgumentException("a preference record (chosen/rejected) is DPO data; SFT reads "
                    + "supportlm records, {\"messages\": …} or {\"prompt\", \"completion\"}");
        }
        if (node.has("messages")) {
            List<ChatMessage> messages = messages(node.get("messages"), "messages");
            if (messages.stream().noneMatch(ChatMessage::isAssistant)) {
                throw new MissingReply("messages: no assistant turn");
            }
            if (messages.getLast().isAssistant() && messages.getLast().content().isBlank()) {
                throw new MissingReply("messages[" + (messages.size() - 1) + "].content: the last assistant reply is empty");
            }
            return Conversation.of(source, messages);
        }
        if (node.has("prompt") || node.has("completion")) {
            List<ChatMessage> prompt = prompt(node);
            JsonNode completion = node.get("completion");
            if (completion == null || completion.isNull()) {
                throw new MissingReply("completion: missing");
            }
            List<ChatMessage> messages = new ArrayList<>(prompt);
            if (completion.isTextual()) {
                if (completion.textValue().isBlank()) {
                    throw new MissingReply("completion: empty");
                }
                messages.add(new ChatMessage("assistant", completion.textValue()));
            } else {
                List<ChatMessage> reply = messages(completion, "completion");
                for (int i = 0; i < reply.size(); i++) {
                    if (!reply.get(i).isAssistant()) {
                        throw new IllegalArgumentException("completion[" + i + "].role: the completion holds assistant turns only, got '"
                                + reply.get(i).role() + "'");
                    }
                }
                if (reply.isEmpty() || reply.getLast().content().isBlank()) {
                    throw new MissingReply("completion: empty");
                }
                messages.addAll(reply);
            }
            return new Conversation(source, messages, prompt.size());
        }
        throw new IllegalArgumentException(unknownFormat(node, "inputs (a supportlm record), messages, or prompt + completion"));
    }

    static PreferencePair preference(JsonNode node, String source) {
        if (!node.has("chosen") && !node.has("rejected")) {
            throw new IllegalArgumentException(unknownFormat(node, "prompt + chosen + rejected"));
        }
        if (!node.has("prompt")) {
            throw new IllegalArgumentException("prompt: missing (the implicit-prompt form, where chosen and rejected repeat the "
                    + "prompt, is not read: give prompt, chosen and rejected)");
        }
        return new PreferencePair(source, prompt(node), reply(node, "chosen"), reply(node, "rejected"));
    }

    private static String unknownFormat(JsonNode node, String expected) {
        List<String> keys = new ArrayList<>();
        node.fieldNames().forEachRemaining(keys::add);
        return "unknown record format: expected the keys " + expected + ", got " + keys;
    }

    private static List<ChatMessage> prompt(JsonNode node) {
        JsonNode prompt = node.get("prompt");
        if (prompt == null || prompt.isNull()) {
            throw new IllegalArgumentException("prompt: missing");
        }
        if (prompt.isTextual()) {
            return List.of(new ChatMessage("user", prompt.textValue()));
        }
        List<ChatMessage> messages = messages(prompt, "prompt");
        if (messages.isEmpty() || messages.getLast().isAssistant()) {
            throw new IllegalArgumentException("prompt: must end with a user turn");
        }
        return messages;
    }

    private static String reply(JsonNode node, String field) {
        JsonNode reply = node.get(field);
        if (reply == null || reply.isNull()) {
            throw new MissingReply(field + ": missing");
        }
        String text;
        if (reply.isTextual()) {
            text = reply.textValue();
        } else {
            List<ChatMessage> messages = messages(reply, field);
            if (messages.size() != 1 || !messages.getFirst().isAssistant()) {
                throw new IllegalArgumentException(field + ": expected a string or one assistant message, got " + messages.size()
                        + " message(s)" + (messages.isEmpty() ? "" : " starting with role '" + messages.getFirst().role() + "'"));
            }
            text = messages.getFirst().content();
        }
        if (text.isBlank()) {
            throw new MissingReply(field + ": empty");
        }
        return text;
    }

    static List<ChatMessage> messages(JsonNode array, String field) {
        if (!array.isArray()) {
            throw new IllegalArgumentException(field + ": expected a list of {\"role\", \"content\"}, got " + array.getNodeType());
        }
        List<ChatMessage> out = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            String at = field + "[" + i + "]";
            JsonNode m = array.get(i);
            if (!m.isObject()) {
                throw new IllegalArgumentException(at + ": expected {\"role\", \"content\"}, got " + m.getNodeType());
            }
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual()) {
                throw new IllegalArgumentException(at + ".role: missing or not a string");
            }
            if (!ChatMessage.ROLES.contains(role.textValue())) {
                throw new IllegalArgumentException(at + ".role: '" + role.textValue()
                        + "' is not supported (expected system, user or assistant)");
            }
            out.add(new ChatMessage(role.textValue(), content(m.get("content"), at + ".content")));
        }
        return out;
    }

    private static String content(JsonNode content, String at) {
        if (content == null || content.isNull()) {
            throw new IllegalArgumentException(at + ": missing");
        }
        if (content.isTextual()) {
            return content.textValue();
        }
        if (content.isArray()) {
            StringBuilder text = new StringBuilder();
            for (int j = 0; j < content.size(); j++) {
                JsonNode part = content.get(j);
                String type = part.path("type").asText("");
                if (!type.equals("text") || !part.path("text").isTextual()) {
                    throw new IllegalArgumentException(at + "[" + j + "]: only {\"type\": \"text\", \"text\": …} parts are "
                            + "supported, got "
                            + (type.isEmpty() ? part.toString() : "type '" + type + "'"));
                }
                text.append(part.get("text").textValue());
            }
            return text.toString();
        }
        throw new IllegalArgumentException(at + ": expected a string, got " + content.getNodeType());
    }

    private static Conversation fromSupportRecord(JsonNode node, String source) {
        SupportRecord record = Jsonl.fromLine(node.toString());
        String answer = record.outputs().answer();
        if (answer == null) {
            throw new MissingReply("outputs.answer: missing");
        }
        if (answer.isBlank()) {
            throw new MissingReply("outputs.answer: empty");
        }
        return fromSupportRecord(record, source);
    }

    /**
     * The conversation of a supportlm record that has an answer: history (context), one user turn,
     * the answer (trained). {@code source} names it in errors.
     */
    public static Conversation fromSupportRecord(SupportRecord record, String source) {
        SupportRecord.Inputs in = record.inputs();
        List<ChatMessage> messages = new ArrayList<>();
        for (int i = 0; i < in.history().size(); i++) {
            SupportRecord.Turn t = in.history().get(i);
            messages.add(new ChatMessage(t.role(), t.content()));
        }
        List<String> parts = new ArrayList<>();
        if (in.context() != null && !in.context().isBlank()) {
            parts.add(in.context());
        }
        parts.add(in.mainText());
        if (in.question() != null && !in.question().isBlank() && !in.question().equals(in.mainText())) {
            parts.add(in.question());
        }
        messages.add(new ChatMessage("user", String.join("\n\n", parts)));
        String answer = record.outputs().answer();
        if (answer == null || answer.isBlank()) {
            throw new IllegalArgumentException(source + ": outputs.answer: missing or empty");
        }
        messages.add(new ChatMessage("assistant", answer));
        try {
            return new Conversation(source, messages, messages.size() - 1);
        } catch (IllegalArgumentException e) {
            // only the history can be misshapen (the user turn and the answer are built here), and its
            // turns are the first messages, so the indexes agree
            throw new IllegalArgumentException(e.getMessage().replace("messages[", "inputs.history["), e);
        }
    }

    // --- writing -------------------------------------------------------------------------------

    /**
     * Writes conversations, one JSON object a line, with their source as {@code id}: as
     * {@code {"messages": …}} when every assistant turn is trained, else as TRL's conversational
     * {@code {"prompt": …, "completion": …}} so that context turns stay untrained on reading back.
     */
    public static void writeConversations(Path file, List<Conversation> conversations) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (Conversation c : conversations) {
                w.write(JSON.writeValueAsString(toJson(c)));
                w.write('\n');
            }
        }
    }

    /** Writes preference pairs as {@code {"id", "prompt": [messages], "chosen", "rejected"}}, one a line. */
    public static void writePreferences(Path file, List<PreferencePair> pairs) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (PreferencePair p : pairs) {
                ObjectNode out = JSON.createObjectNode();
                out.put("id", p.source());
                put(out.putArray("prompt"), p.prompt());
                out.put("chosen", p.chosen());
                out.put("rejected", p.rejected());
                w.write(JSON.writeValueAsString(out));
                w.write('\n');
            }
        }
    }

    static ObjectNode toJson(Conversation c) {
        ObjectNode out = JSON.createObjectNode();
        out.put("id", c.source());
        List<ChatMessage> messages = c.messages();
        boolean allTrained = true;
        for (int i = 0; i < c.trainFrom(); i++) {
            allTrained &= !messages.get(i).isAssistant();
        }
        if (allTrained) {
            put(out.putArray("messages"), messages);
            return out;
        }
        int split = c.trainFrom();
        while (!messages.get(split).isAssistant()) {
            split++;
        }
        for (int i = split; i < messages.size(); i++) {
            if (!messages.get(i).isAssistant()) {
                throw new IllegalArgumentException(c.source() + ": untrained assistant turns followed by a trained exchange "
                        + "cannot be written as messages nor as prompt/completion");
            }
        }
        put(out.putArray("prompt"), messages.subList(0, split));
        put(out.putArray("completion"), messages.subList(split, messages.size()));
        return out;
    }

    private static void put(ArrayNode array, List<ChatMessage> messages) {
        for (ChatMessage m : messages) {
            array.addObject().put("role", m.role()).put("content", m.content());
        }
    }
}
