package io.supportlm.model.bert;

import io.supportlm.model.FrozenLinear;
import io.supportlm.model.WeightSource;
import io.supportlm.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * The weight layout of a Hugging Face {@code BertModel}: every tensor by name, with its shape
 * checked against the config. Checkpoints saved from a task model ({@code BertForSequenceClassification})
 * prefix names with {@code bert.}; old ones call LayerNorm parameters {@code gamma}/{@code beta}.
 * Both are accepted.
 */
public record BertWeights(Tensor wordEmbeddings, Tensor positionEmbeddings, Tensor tokenTypeEmbeddings,
                          float[] embLnWeight, float[] embLnBias, List<Layer> layers) {
    /** One encoder layer. */
    public record Layer(FrozenLinear query, FrozenLinear key, FrozenLinear value, FrozenLinear attnOut,
                        float[] attnLnWeight, float[] attnLnBias, FrozenLinear intermediate, FrozenLinear output,
                        float[] outLnWeight, float[] outLnBias) {}

    public static BertWeights load(WeightSource w, BertConfig c) {
        String p = w.has("bert.embeddings.word_embeddings.weight") ? "bert." : "";
        int C = c.hiddenSize();
        int I = c.intermediateSize();
        List<Layer> layers = new ArrayList<>();
        for (int l = 0; l < c.numLayers(); l++) {
            String L = p + "encoder.layer." + l + ".";
            layers.add(new Layer(
                    linear(w, L + "attention.self.query", C, C),
                    linear(w, L + "attention.self.key", C, C),
                    linear(w, L + "attention.self.value", C, C),
                    linear(w, L + "attention.output.dense", C, C),
                    norm(w, L + "attention.output.LayerNorm", "weight", C),
                    norm(w, L + "attention.output.LayerNorm", "bias", C),
                    linear(w, L + "intermediate.dense", I, C),
                    linear(w, L + "output.dense", C, I),
                    norm(w, L + "output.LayerNorm", "weight", C),
                    norm(w, L + "output.LayerNorm", "bias", C)));
        }
        return new BertWeights(
                w.tensor(p + "embeddings.word_embeddings.weight", c.vocabSize(), C),
                w.tensor(p + "embeddings.position_embeddings.weight", c.maxPositions(), C),
                w.tensor(p + "embeddings.token_type_embeddings.weight", c.typeVocabSize(), C),
                norm(w, p + "embeddings.LayerNorm", "weight", C),
                norm(w, p + "embeddings.LayerNorm", "bias", C),
                List.copyOf(layers));
    }

    private static FrozenLinear linear(WeightSource w, String module, int out, int in) {
        return new FrozenLinear(w.tensor(module + ".weight", out, in), w.vector(module + ".bias", out));
    }

    /** LayerNorm parameter: {@code weight}/{@code bias}, or the old names {@code gamma}/{@code beta}. */
    private static float[] norm(WeightSource w, String module, String param, int n) {
        String name = module + "." + param;
        if (!w.has(name)) {
            String old = module + "." + (param.equals("weight") ? "gamma" : "beta");
            if (w.has(old)) {
                name = old;
            }
        }
        return w.vector(name, n);
    }
}
