package io.supportlm.model.init;

import io.supportlm.io.Checkpoint;
import io.supportlm.io.SafetensorsWriter;
import io.supportlm.model.bert.BertEncoder;
import io.supportlm.model.bert.BertModels;
import io.supportlm.model.decoder.DecoderActivations;
import io.supportlm.model.decoder.DecoderModel;
import io.supportlm.model.decoder.DecoderModels;
import io.supportlm.model.hf.ModelDirectory;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * One forward pass over given token ids, written to a safetensors file for comparison with other
 * engines ({@code model forward}): {@code hidden_states} (1, T, C), the final normalized hidden
 * states, and for decoders {@code logits} (1, T, V).
 */
public final class ModelForward {
    private ModelForward() {}

    /** What was written: the tensor names and shapes. */
    public record Written(int tokens, int hidden, int vocab) {}

    public static Written run(Path modelDir, int[] ids, Path out) {
        if (ids.length == 0) {
            throw new IllegalArgumentException("--input-ids: give at least one token id");
        }
        ModelDirectory dir = ModelDirectory.of(modelDir);
        String type = dir.config().modelType();
        int T = ids.length;
        try (Checkpoint weights = dir.weights()) {
            SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt").metadata("input_ids", Arrays.toString(ids));
            if (type.equals("bert")) {
                BertEncoder bert = BertModels.load(dir, weights);
                checkIds(ids, bert.config().vocabSize());
                BertEncoder.Activations a = bert.allocate(1, T);
                bert.forward(a, ids, null, null, 1, T, false, 0, 0);
                int C = bert.hiddenSize();
                w.add("hidden_states", Arrays.copyOf(a.lastHidden(), T * C), 1, T, C);
                w.write(out);
                return new Written(T, C, 0);
            }
            DecoderModel model = DecoderModels.load(dir, weights);
            checkIds(ids, model.config().vocabSize());
            DecoderActivations a = model.allocateInference(1, T, T);
            model.forward(a, ids, null, null, 1, T);
            int C = model.config().hiddenSize();
            int V = model.config().vocabSize();
            w.add("hidden_states", Arrays.copyOf(a.hidden(), T * C), 1, T, C);
            int[] rows = new int[T];
            for (int i = 0; i < T; i++) {
                rows[i] = i;
            }
            float[] logits = model.logits(a, rows, T);
            w.add("logits", Arrays.copyOf(logits, T * V), 1, T, V);
            w.write(out);
            return new Written(T, C, V);
        }
    }

    private static void checkIds(int[] ids, int vocab) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocab) {
                throw new IllegalArgumentException("--input-ids: id " + ids[i] + " at position " + i
                        + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
    }
}
