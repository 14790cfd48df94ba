package io.supportlm.model.onnx;

import io.supportlm.model.onnx.OnnxModel.Node;
import io.supportlm.model.onnx.OnnxModel.OnnxTensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a BERT-family encoder exported to ONNX by Hugging Face Optimum (as in the LangChain4j
 * embedding jars) back into Hugging Face {@code BertModel} weights and configuration.
 *
 * <p>Named initializers (embeddings, biases, LayerNorm parameters) already carry Hugging Face names.
 * Linear weights do not: the exporter replaced each {@code nn.Linear} with a {@code MatMul} against
 * an anonymous initializer holding {@code Wᵀ} ({@code [in, out]}), followed by an {@code Add} of the
 * named bias. So each weight's name is its bias's name with {@code .bias} replaced by
 * {@code .weight}, and its values are transposed back to {@code [out, in]}. The configuration is
 * read off the graph: sizes from the tensors, the head size from the attention's score scaling
 * constant, the LayerNorm epsilon from its constant, the activation from the ops present.
 */
public final class BertOnnxImporter {
    private BertOnnxImporter() {}

    /** A weight in Hugging Face layout. */
    public record Weight(String name, int[] shape, float[] values) {}

    /** The imported model: Hugging Face config.json fields and the weights by name. */
    public record Imported(Map<String, Object> config, Map<String, Weight> weights) {}

    private static final Pattern LAYER = Pattern.compile("^encoder\\.layer\\.(\\d+)\\.");

    public static Imported convert(OnnxModel onnx) {
        String where = onnx.file().toString();
        Map<String, Weight> weights = new LinkedHashMap<>();
        for (OnnxTensor t : onnx.initializers().values()) {
            if (t.name().contains(".") && t.dataType() == OnnxModel.FLOAT && !t.name().startsWith("onnx::")) {
                weights.put(t.name(), new Weight(t.name(), toInt(t.dims()), t.floats()));
            }
        }
        for (Node n : onnx.nodes()) {
            if (!n.opType().equals("MatMul") || n.inputs().size() != 2) {
                continue;
            }
            OnnxTensor w = onnx.initializers().get(n.inputs().get(1));
            if (w == null || w.dims().length != 2 || w.floats() == null) {
                continue; // activation × activation (attention scores) or no weight
            }
            String bias = biasAddedTo(onnx, n.outputs().get(0));
            if (bias == null) {
                throw new IllegalArgumentException(where + ": MatMul '" + n.name() + "' with weight '" + w.name()
                        + "' is not followed by the Add of a named bias; cannot tell which layer it is");
            }
            String name = bias.substring(0, bias.length() - ".bias".length()) + ".weight";
            int in = (int) w.dims()[0];
            int out = (int) w.dims()[1];
            weights.put(name, new Weight(name, new int[] {out, in}, transpose(w.floats(), in, out)));
        }
        return new Imported(config(onnx, weights, where), weights);
    }

    /** The name of the bias initializer added to {@code output}, if an Add consumes it with one. */
    private static String biasAddedTo(OnnxModel onnx, String output) {
        for (Node add : onnx.consumers(output)) {
            if (!add.opType().equals("Add")) {
                continue;
            }
            for (String in : add.inputs()) {
                if (in.endsWith(".bias") && onnx.initializers().containsKey(in)) {
                    return in;
                }
            }
        }
        return null;
    }

    private static Map<String, Object> config(OnnxModel onnx, Map<String, Weight> w, String where) {
        int[] words = require(w, "embeddings.word_embeddings.weight", where).shape();
        int[] positions = require(w, "embeddings.position_embeddings.weight", where).shape();
        int[] types = require(w, "embeddings.token_type_embeddings.weight", where).shape();
        int hidden = words[1];
        TreeSet<Integer> layers = new TreeSet<>();
        for (String name : w.keySet()) {
            Matcher m = LAYER.matcher(name);
            if (m.find()) {
                layers.add(Integer.parseInt(m.group(1)));
            }
        }
        if (layers.isEmpty() || layers.first() != 0 || layers.last() != layers.size() - 1) {
            throw new IllegalArgumentException(where + ": encoder layers are not numbered 0..N-1: " + layers);
        }
        int intermediate = require(w, "encoder.layer.0.intermediate.dense.weight", where).shape()[0];
        int headSize = headSize(onnx, where);
        if (hidden % headSize != 0) {
            throw new IllegalArgumentException(where + ": head size " + headSize + " does not divide hidden size " + hidden);
        }
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("architectures", List.of("BertModel"));
        c.put("model_type", "bert");
        c.put("vocab_size", words[0]);
        c.put("hidden_size", hidden);
        c.put("num_hidden_layers", layers.size());
        c.put("num_attention_heads", hidden / headSize);
        c.put("intermediate_size", intermediate);
        c.put("hidden_act", activation(onnx, where));
        c.put("max_position_embeddings", positions[0]);
        c.put("type_vocab_size", types[0]);
        c.put("layer_norm_eps", layerNormEps(onnx, where));
        c.put("position_embedding_type", "absolute");
        c.put("pad_token_id", 0);
        c.put("hidden_dropout_prob", 0.1);
        c.put("attention_probs_dropout_prob", 0.1);
        c.put("initializer_range", 0.02);
        c.put("torch_dtype", "float32");
        return c;
    }

    /** Scores are divided by √HS (Div by a constant) or multiplied by 1/√HS: read HS from it. */
    private static int headSize(OnnxModel onnx, String where) {
        for (Node n : onnx.nodes()) {
            if (!n.opType().equals("MatMul") || n.inputs().size() != 2 || onnx.valueOf(n.inputs().get(1)) != null) {
                continue;
            }
            for (Node scale : onnx.consumers(n.outputs().get(0))) {
                OnnxTensor c = scale.inputs().size() == 2 ? onnx.valueOf(scale.inputs().get(1)) : null;
                if (c == null || c.floats() == null || c.floats().length != 1) {
                    continue;
                }
                double v = c.scalar();
                double hs = scale.opType().equals("Div") ? v * v : scale.opType().equals("Mul") ? 1 / (v * v) : -1;
                if (hs >= 1 && Math.abs(hs - Math.rint(hs)) < 1e-3) {
                    return (int) Math.rint(hs);
                }
            }
        }
        throw new IllegalArgumentException(where + ": could not find the attention score scaling (Div or Mul by a constant after Q·Kᵀ) to read the head size from");
    }

    /** The epsilon of the first LayerNorm: the small constant added to a ReduceMean's output. */
    private static double layerNormEps(OnnxModel onnx, String where) {
        for (Node n : onnx.nodes()) {
            if (n.opType().equals("LayerNormalization")) {
                break; // fused LayerNorm keeps epsilon in an attribute; BERT's default applies
            }
            if (!n.opType().equals("ReduceMean")) {
                continue;
            }
            for (Node add : onnx.consumers(n.outputs().get(0))) {
                if (!add.opType().equals("Add")) {
                    continue;
                }
                for (String in : add.inputs()) {
                    OnnxTensor c = onnx.valueOf(in);
                    if (c != null && c.floats() != null && c.floats().length == 1 && c.scalar() > 0 && c.scalar() < 1e-3) {
                        return c.scalar();
                    }
                }
            }
        }
        return 1e-12;
    }

    private static String activation(OnnxModel onnx, String where) {
        boolean erf = false;
        boolean tanh = false;
        for (Node n : onnx.nodes()) {
            erf |= n.opType().equals("Erf");
            tanh |= n.opType().equals("Tanh");
        }
        if (erf) {
            return "gelu";
        }
        if (tanh) {
            return "gelu_new";
        }
        throw new IllegalArgumentException(where + ": no Erf or Tanh node found; the encoder's activation is not GELU");
    }

    private static Weight require(Map<String, Weight> w, String name, String where) {
        Weight t = w.get(name);
        if (t == null) {
            throw new IllegalArgumentException(where + ": no tensor '" + name + "' (is this a BERT encoder export?)");
        }
        return t;
    }

    private static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[a.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = a[r * cols + c];
            }
        }
        return t;
    }

    private static int[] toInt(long[] dims) {
        int[] out = new int[dims.length];
        for (int i = 0; i < dims.length; i++) {
            out[i] = Math.toIntExact(dims[i]);
        }
        return out;
    }
}
