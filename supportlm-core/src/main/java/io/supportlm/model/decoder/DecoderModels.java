package io.supportlm.model.decoder;

import io.supportlm.io.Checkpoint;
import io.supportlm.model.WeightSource;
import io.supportlm.model.hf.ModelDirectory;

/** Opens a decoder from a Hugging Face model directory (config.json + safetensors). */
public final class DecoderModels {
    private DecoderModels() {}

    /** The model; its weights stay memory-mapped from {@code checkpoint}, which must stay open. */
    public static DecoderModel load(ModelDirectory dir, Checkpoint checkpoint) {
        DecoderConfig config = DecoderConfig.fromJson(dir.config().raw());
        return new DecoderModel(config, DecoderWeights.load(WeightSource.of(checkpoint), config));
    }
}
