package io.supportlm.model.bert;

import io.supportlm.io.Checkpoint;
import io.supportlm.model.WeightSource;
import io.supportlm.model.hf.ModelDirectory;

/** Opens a BERT encoder from a Hugging Face model directory (config.json + safetensors). */
public final class BertModels {
    private BertModels() {}

    /** The encoder; its weights stay memory-mapped from {@code checkpoint}, which must stay open. */
    public static BertEncoder load(ModelDirectory dir, Checkpoint checkpoint) {
        BertConfig config = BertConfig.fromJson(dir.config().raw());
        return new BertEncoder(config, BertWeights.load(WeightSource.of(checkpoint), config));
    }
}
