package io.supportlm.model.decoder;

import io.supportlm.kernels.Rope;
import io.supportlm.model.WeightSource;
import io.supportlm.model.decoder.DecoderConfig.Family;

/**
 * A second, naive implementation of the decoder families for tests: double precision, one token
 * at a time, weights looked up by their Hugging Face names, structure written from transformers'
 * modeling files (LlamaDecoderLayer, Qwen3Attention, Gemma3DecoderLayer, GPTNeoXLayer) by family
 * rather than from {@link DecoderConfig}'s flags, and biases used wherever the checkpoint has one.
 * It shares nothing with {@link DecoderModel} but the config's sizes and the rope frequencies, so
 * a wiring mistake there (a norm in the wrong place, the fused q/k/v split) shows up as a
 * difference.
 */
final class ReferenceDecoder {
    private final DecoderConfig c;
    private final WeightSource w;
    private final boolean gemma, neox, qkNorm;
    private final String root;

    ReferenceDecoder(DecoderConfig c, WeightSource w) {
        this.c = c;
        this.w = w;
        this.gemma = c.family() == Family.GEMMA3;
        this.neox = c.family() == Family.GPT_NEOX;
        this.qkNorm = gemma || c.family() == Family.QWEN3;
        this.root = neox ? "gpt_neox." : "model.";
    }

    /** Logits (T, V) of one unpadded sequence. */
    double[][] logits(int[] ids) {
        int T = ids.length, C = c.hiddenSize();
        double[][] x = new double[T][];
        double scale = gemma ? Math.sqrt(C) : 1;
        for (int t = 0; t < T; t++) {
            x[t] = scaled(row(neox ? "gpt_neox.embed_in.weight" : "model.embed_tokens.weight", ids[t], C), scale);
        }
        for (int l = 0; l < c.numLayers(); l++) {
            x = layer(l, x);
        }
        double[][] out = new double[T][];
        String head = c.tiedEmbeddings() ? (neox ? "gpt_neox.embed_in.weight" : "model.embed_tokens.weight")
                : (neox ? "embed_out.weight" : "lm_head.weight");
        for (int t = 0; t < T; t++) {
            double[] h = norm(x[t], neox ? "gpt_neox.final_layer_norm" : "model.norm");
            out[t] = matVec(head, h, c.vocabSize(), null);
            if (c.finalSoftcap() > 0) {
                for (int v = 0; v < out[t].length; v++) {
                    out[t][v] = c.finalSoftcap() * Math.tanh(out[t][v] / c.finalSoftcap());
                }
            }
        }
        return out;
    }

    private double[][] layer(int l, double[][] x) {
        String p = root + "layers." + l + ".";
        int T = x.length, NH = c.numHeads(), KVH = c.numKvHeads(), HS = c.headDim();
        double[][][] q = new double[T][][], k = new double[T][][], v = new double[T][][];
        for (int t = 0; t < T; t++) {
            double[] n = norm(x[t], p + "input_layernorm");
            if (neox) { // fused rows: per head [q | k | v]
                double[] qkv = linear(p + "attention.query_key_value", n, 3 * NH * HS);
                q[t] = new double[NH][];
                k[t] = new double[NH][];
                v[t] = new double[NH][];
                for (int h = 0; h < NH; h++) {
                    q[t][h] = java.util.Arrays.copyOfRange(qkv, 3 * h * HS, 3 * h * HS + HS);
                    k[t][h] = java.util.Arrays.copyOfRange(qkv, 3 * h * HS + HS, 3 * h * HS + 2 * HS);
                    v[t][h] = java.util.Arrays.copyOfRange(qkv, 3 * h * HS + 2 * HS, 3 * h * HS + 3 * HS);
                }
            } else {
                q[t] = heads(linear(p + "self_attn.q_proj", n, NH * HS), NH);
                k[t] = heads(linear(p + "self_attn.k_proj", n, KVH * HS), KVH);
                v[t] = heads(linear(p + "self_attn.v_proj", n, KVH * HS), KVH);
            }
            for (int h = 0; h < q[t].length; h++) {
                if (qkNorm) {
                    q[t][h] = rms(q[t][h], p + "self_attn.q_norm");
                }
                q[t][h] = rope(q[t][h], l, t);
            }
            for (int h = 0; h < k[t].length; h++) {
                if (qkNorm) {
                    k[t][h] = rms(k[t][h], p + "self_attn.k_norm");
                }
                k[t][h] = rope(k[t][h], l, t);
            }
        }
        double[][] out = new double[T][];
        for (int t = 0; t < T; t++) {
            double[] attn = new double[NH * HS];
            for (int h = 0; h < NH; h++) {
                int g = h / (NH / k[t].length);
                int window = c.windowOf(l);
                double[] s = new double[t + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j <= t; j++) {
                    if (window > 0 && j <= t - window) {
                        s[j] = Double.NEGATIVE_INFINITY;
                        continue;
                    }
                    double d = 0;
                    for (int i = 0; i < HS; i++) {
                        d += q[t][h][i] * k[j][g][i];
                    }
                    d *= c.attentionScale();
                    if (c.attnSoftcap() > 0) {
                        d = c.attnSoftcap() * Math.tanh(d / c.attnSoftcap());
                    }
                    s[j] = d;
                    max = Math.max(max, d);
                }
                double sum = 0;
                for (int j = 0; j <= t; j++) {
                    s[j] = Math.exp(s[j] - max);
                    sum += s[j];
                }
                for (int j = 0; j <= t; j++) {
                    for (int i = 0; i < HS; i++) {
                        attn[h * HS + i] += s[j] / sum * v[j][g][i];
                    }
                }
            }
            double[] o = linear(p + (neox ? "attention.dense" : "self_attn.o_proj"), attn, c.hiddenSize());
            if (gemma) {
                o = rms(o, p + "post_attention_layernorm");
            }
            if (neox && c.parallelResidual()) {
                out[t] = add(add(x[t], o), mlp(p, norm(x[t], p + "post_attention_layernorm")));
            } else {
                double[] h = add(x[t], o);
                double[] m = mlp(p, norm(h, p + (gemma ? "pre_feedforward_layernorm" : "post_attention_layernorm")));
                if (gemma) {
                    m = rms(m, p + "post_feedforward_layernorm");
                }
                out[t] = add(h, m);
            }
        }
        return out;
    }

    private double[] mlp(String p, double[] n) {
        int I = c.intermediateSize(), C = c.hiddenSize();
        if (neox) {
            double[] u = linear(p + "mlp.dense_h_to_4h", n, I);
            for (int i = 0; i < I; i++) {
                u[i] = c.mlp() == DecoderConfig.Mlp.GELU ? 0.5 * u[i] * (1 + erf(u[i] / Math.sqrt(2))) : geluTanh(u[i]);
            }
            return linear(p + "mlp.dense_4h_to_h", u, C);
        }
        double[] g = linear(p + "mlp.gate_proj", n, I);
        double[] u = linear(p + "mlp.up_proj", n, I);
        for (int i = 0; i < I; i++) {
            double a = gemma ? geluTanh(g[i]) : g[i] / (1 + Math.exp(-g[i]));
            u[i] *= a;
        }
        return linear(p + "mlp.down_proj", u, C);
    }

    /** rotate_half on the first rotaryDim dims, positions = token index. */
    private double[] rope(double[] x, int l, int pos) {
        Rope.Config rc = c.ropeOf(l);
        double[] inv = Rope.inverseFrequencies(rc);
        int half = rc.rotaryDim() / 2;
        double[] y = x.clone();
        for (int i = 0; i < half; i++) {
            double a = pos * (double) (float) inv[i];
            y[i] = x[i] * Math.cos(a) - x[i + half] * Math.sin(a);
            y[i + half] = x[i + half] * Math.cos(a) + x[i] * Math.sin(a);
        }
        return y;
    }

    private double[] norm(double[] x, String module) {
        if (!neox) {
            return rms(x, module);
        }
        int n = x.length;
        double mean = 0, var = 0;
        for (double e : x) {
            mean += e / n;
        }
        for (double e : x) {
            var += (e - mean) * (e - mean) / n;
        }
        double r = 1 / Math.sqrt(var + c.normEps());
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            y[i] = (x[i] - mean) * r * get(module + ".weight", i) + get(module + ".bias", i);
        }
        return y;
    }

    private double[] rms(double[] x, String module) {
        int n = x.length;
        double ms = 0;
        for (double e : x) {
            ms += e * e / n;
        }
        double r = 1 / Math.sqrt(ms + c.normEps());
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            y[i] = x[i] * r * ((gemma ? 1 : 0) + get(module + ".weight", i));
        }
        return y;
    }

    private double[] linear(String module, double[] x, int out) {
        return matVec(module + ".weight", x, out, w.has(module + ".bias") ? module + ".bias" : null);
    }

    private double[] matVec(String weight, double[] x, int out, String bias) {
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double s = bias == null ? 0 : get(bias, o);
            for (int i = 0; i < x.length; i++) {
                s += get(weight, (long) o * x.length + i) * x[i];
            }
            y[o] = s;
        }
        return y;
    }

    private double[] row(String name, int r, int n) {
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            y[i] = get(name, (long) r * n + i);
        }
        return y;
    }

    private double get(String name, long i) {
        return w.tensor(name).getFloat(i);
    }

    private static double[][] heads(double[] a, int n) {
        int hs = a.length / n;
        double[][] out = new double[n][];
        for (int h = 0; h < n; h++) {
            out[h] = java.util.Arrays.copyOfRange(a, h * hs, (h + 1) * hs);
        }
        return out;
    }

    private static double[] add(double[] a, double[] b) {
        double[] y = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            y[i] = a[i] + b[i];
        }
        return y;
    }

    private static double[] scaled(double[] a, double s) {
        for (int i = 0; i < a.length; i++) {
            a[i] *= s;
        }
        return a;
    }

    private static double geluTanh(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    /** erf by its Maclaurin series (|x| small) or continued fraction of erfc, to ~1e-12. */
    private static double erf(double x) {
        double ax = Math.abs(x);
        if (ax < 3) {
            double sum = 0, term = ax;
            for (int n = 0; n < 200; n++) {
                sum += term / (2 * n + 1);
                term *= -ax * ax / (n + 1);
                if (Math.abs(term) < 1e-17) {
                    break;
                }
            }
            return Math.signum(x) * 2 / Math.sqrt(Math.PI) * sum;
        }
        // erfc(x) = exp(−x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...))))
        double f = ax;
        for (int n = 60; n >= 1; n--) {
            f = ax + (n / 2.0) / f;
        }
        return Math.signum(x) * (1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f);
    }
}
