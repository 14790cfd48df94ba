package io.supportlm.sft.data;

import io.supportlm.model.hf.ChatTemplate;
import io.supportlm.model.hf.HfTokenizer;
import io.supportlm.model.hf.ModelDirectory;
import io.supportlm.sft.ChatMessage;
import io.supportlm.sft.SftExample;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * SFT training data: a JSONL file ({@link SftJsonl} formats) read, rendered with the chat format,
 * tokenized with assistant-only labels ({@link ConversationEncoder}) and truncated to
 * {@link SftDataConfig#maxLength()}, in file order. Batch it with {@link SftBatches}.
 *
 * @param stopIds the ids that end a reply in these examples; generation must stop on them
 */
public record SftDataset(List<SftExample> examples, SftDataStats stats, Set<Integer> stopIds) {
    public SftDataset {
        examples = List.copyOf(examples);
        stopIds = Set.copyOf(stopIds);
    }

    /** Loads with a chat template, or with the plain format when {@code template} is null. */
    public static SftDataset load(Path jsonl, ChatTemplate template, HfTokenizer tokenizer, SftDataConfig config) throws IOException {
        ChatFormat format = template == null ? ChatFormat.plain(tokenizer) : ChatFormat.template(template);
        return load(jsonl, new ConversationEncoder(format, tokenizer, List.of(), config.stopTokens()), config);
    }

    /** Loads for a model directory: its template (or the plain format) and its generation config's stop ids. */
    public static SftDataset load(Path jsonl, ModelDirectory model, HfTokenizer tokenizer, SftDataConfig config) throws IOException {
        return load(jsonl, ConversationEncoder.forModel(model, tokenizer, config.stopTokens()), config);
    }

    public static SftDataset load(Path jsonl, ConversationEncoder encoder, SftDataConfig config) throws IOException {
        SftJsonl.Read<Conversation> read = SftJsonl.readConversations(jsonl, config.skipIncomplete());
        return encode(read.items(), read.skipped(), encoder, config);
    }

    /** Encodes conversations already read; {@code skipped} is carried into the statistics. */
    public static SftDataset encode(List<Conversation> conversations, int skipped, ConversationEncoder encoder, SftDataConfig config) {
        List<SftExample> examples = new ArrayList<>(conversations.size());
        long tokens = 0;
        long trainable = 0;
        int truncated = 0;
        int repliesCut = 0;
        int unlabelled = 0;
        int longest = 0;
        for (Conversation raw : conversations) {
            Conversation c = raw.withDefaultSystem(config.systemPrompt());
            List<SftExample> made;
            if (config.truncation() == SftDataConfig.Truncation.SLIDING_WINDOW) {
                SlidingWindows.Split split = SlidingWindows.split(encoder.encode(c).example(), config.maxLength(), config.windowStride());
                made = split.windows();
                unlabelled += split.unlabelledWindows();
                truncated += split.windows().size() + split.unlabelledWindows() > 1 ? 1 : 0;
            } else {
                List<ChatMessage> m = c.messages();
                LatestTurns.Fitted fitted = LatestTurns.fit(encoder, m.subList(0, m.size() - 1), c.trainFrom(),
                        List.of(m.getLast().content()), config.maxLength(), c.source());
                made = List.of(fitted.encodings().getFirst().example());
                truncated += fitted.truncated() ? 1 : 0;
                repliesCut += fitted.replyCut() ? 1 : 0;
            }
            for (SftExample e : made) {
                examples.add(e);
                tokens += e.length();
                trainable += e.trainableTokens();
                longest = Math.max(longest, e.length());
            }
        }
        SftDataStats stats = new SftDataStats(conversations.size() + skipped, skipped, conversations.size(), examples.size(), tokens,
                trainable, truncated, repliesCut, unlabelled, longest);
        return new SftDataset(examples, stats, encoder.stopIds());
    }
}
