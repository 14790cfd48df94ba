package io.supportlm.sft.data;

import io.supportlm.model.hf.HfTokenizer;
import io.supportlm.model.hf.ModelDirectory;
import io.supportlm.sft.PreferenceExample;
import io.supportlm.sft.SftExample;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * DPO training data: {@code {"prompt", "chosen", "rejected"}} records ({@link SftJsonl}) encoded
 * as pairs of sequences sharing the prompt's tokens, labels on each reply only. Truncation always
 * keeps the latest turns ({@link LatestTurns}), deciding the prompt's cut once for both replies
 * so the prompt stays identical; the sliding window does not apply to pairs.
 */
public record PreferenceDataset(List<PreferenceExample> pairs, SftDataStats stats, Set<Integer> stopIds) {
    public PreferenceDataset {
        pairs = List.copyOf(pairs);
        stopIds = Set.copyOf(stopIds);
    }

    /** Loads for a model directory: its template (or the plain format) and its generation config's stop ids. */
    public static PreferenceDataset load(Path jsonl, ModelDirectory model, HfTokenizer tokenizer, SftDataConfig config)
            throws IOException {
        return load(jsonl, ConversationEncoder.forModel(model, tokenizer, config.stopTokens()), config);
    }

    public static PreferenceDataset load(Path jsonl, ConversationEncoder encoder, SftDataConfig config) throws IOException {
        SftJsonl.Read<PreferencePair> read = SftJsonl.readPreferences(jsonl, config.skipIncomplete());
        return encode(read.items(), read.skipped(), encoder, config);
    }

    public static PreferenceDataset encode(List<PreferencePair> records, int skipped, ConversationEncoder encoder, SftDataConfig config) {
        if (config.truncation() != SftDataConfig.Truncation.LATEST_TURNS) {
            throw new IllegalArgumentException("truncation " + config.truncation().configName() + " applies to SFT only: a DPO pair "
                    + "needs one prompt for both replies; use latest_turns");
        }
        List<PreferenceExample> pairs = new ArrayList<>(records.size());
        long tokens = 0;
        long trainable = 0;
        int truncated = 0;
        int repliesCut = 0;
        int longest = 0;
        for (PreferencePair raw : records) {
            PreferencePair p = raw.withDefaultSystem(config.systemPrompt());
            LatestTurns.Fitted fitted = LatestTurns.fit(encoder, p.prompt(), p.prompt().size(), List.of(p.chosen(), p.rejected()),
                    config.maxLength(), p.source());
            ConversationEncoder.Encoded chosen = fitted.encodings().get(0);
            ConversationEncoder.Encoded rejected = fitted.encodings().get(1);
            int n = chosen.promptLength();
            if (n != rejected.promptLength() || !Arrays.equals(chosen.example().ids(), 0, n, rejected.example().ids(), 0, n)) {
                throw new IllegalArgumentException(p.source() + ": the prompt tokenizes differently before the chosen and the rejected "
                        + "reply; the chat format is not prefix-stable for this pair");
            }
            pairs.add(new PreferenceExample(chosen.example(), rejected.example()));
            truncated += fitted.truncated() ? 1 : 0;
            repliesCut += fitted.replyCut() ? 1 : 0;
            for (SftExample e : List.of(chosen.example(), rejected.example())) {
                tokens += e.length();
                trainable += e.trainableTokens();
                longest = Math.max(longest, e.length());
            }
        }
        SftDataStats stats = new SftDataStats(records.size() + skipped, skipped, records.size(), pairs.size(), tokens, trainable,
                truncated, repliesCut, 0, longest);
        return new PreferenceDataset(pairs, stats, encoder.stopIds());
    }
}
