package io.supportlm.server.bench.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.supportlm.model.hf.HfTokenizer;
import io.supportlm.server.bench.ClassifierPeer;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The peer of the serving benchmark: ONNX Runtime Java running the same encoder ONNX file our
 * BERT is imported from, behind a minimal Javalin endpoint. Per request: the same tokenizer
 * (truncated to the same length), one {@code session.run} on that one text, the same pooling (mean
 * over the attention mask, or the first token), then a linear head and softmax — what {@code /v1/classify} computes, without our
 * micro-batching, policy, API keys, access log or metrics. Requests run concurrently on Jetty's
 * threads (an ONNX Runtime session is safe to run from several threads). Loaded through the
 * benchmark's own class loader, which supplies ONNX Runtime's jar.
 */
public final class OnnxRuntimePeer implements ClassifierPeer {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final OrtEnvironment env;
    private final OrtSession session;
    private final HfTokenizer tokenizer;
    private final float[] weight; // (K, C)
    private final float[] bias; // (K)
    private final List<String> labels;
    private final int hidden;
    private final int maxLength;
    private final boolean meanPooling;
    private final Javalin app;
    private final String description;

    /**
     * @param pooling {@code mean} or {@code cls}
     * @param threads ONNX Runtime's intra-op threads (0: its default, one per core)
     */
    public OnnxRuntimePeer(Path onnxFile, HfTokenizer tokenizer, float[] weight, float[] bias, List<String> labels, String pooling,
                           int maxLength, int threads) throws OrtException {
        if (!pooling.equals("mean") && !pooling.equals("cls")) {
            throw new IllegalArgumentException("the ONNX Runtime peer pools by mean or cls, not " + pooling);
        }
        this.meanPooling = pooling.equals("mean");
        int K = labels.size();
        if (K == 0 || bias.length != K || weight.length % K != 0) {
            throw new IllegalArgumentException("the peer's head must be [K, C] with K biases, got " + weight.length + " weights, "
                    + bias.length + " biases for " + K + " labels");
        }
        this.env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        if (threads > 0) {
            options.setIntraOpNumThreads(threads);
        }
        this.session = env.createSession(onnxFile.toString(), options);
        this.tokenizer = tokenizer;
        this.weight = weight.clone();
        this.bias = bias.clone();
        this.labels = List.copyOf(labels);
        this.hidden = weight.length / K;
        this.maxLength = maxLength;
        this.description = "ONNX Runtime " + env.getVersion() + " (Java), " + (threads > 0 ? threads + " intra-op threads" : "default threads")
                + ", one session.run per request";
        this.app = Javalin.create(c -> c.showJavalinBanner = false).post("/classify", this::classify).start("127.0.0.1", 0);
    }

    private void classify(Context ctx) throws OrtException, java.io.IOException {
        JsonNode body = JSON.readTree(ctx.bodyAsBytes());
        if (body == null || !body.path("text").isTextual()) {
            ctx.status(400).contentType("application/json").result("{\"error\": \"text must be a string\"}");
            return;
        }
        HfTokenizer.Encoding e = tokenizer.encode(body.get("text").asText(), true, maxLength);
        int T = e.length();
        long[] ids = new long[T];
        long[] mask = new long[T];
        for (int t = 0; t < T; t++) {
            ids[t] = e.ids()[t];
            mask[t] = e.attentionMask()[t];
        }
        long[] shape = {1, T};
        float[] pooled = new float[hidden];
        try (OnnxTensor inputIds = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
             OnnxTensor attention = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
             OnnxTensor types = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[T]), shape);
             OrtSession.Result result = session.run(Map.of("input_ids", inputIds, "attention_mask", attention, "token_type_ids", types))) {
            FloatBuffer states = ((OnnxTensor) result.get(0)).getFloatBuffer(); // (1, T, C)
            int real = 0;
            for (int t = 0; t < (meanPooling ? T : 1); t++) {
                if (mask[t] == 0) {
                    continue;
                }
                real++;
                for (int c = 0; c < hidden; c++) {
                    pooled[c] += states.get(t * hidden + c);
                }
            }
            for (int c = 0; c < hidden; c++) {
                pooled[c] /= Math.max(1, real);
            }
        }
        int K = labels.size();
        double[] p = new double[K];
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < K; k++) {
            double z = bias[k];
            for (int c = 0; c < hidden; c++) {
                z += weight[k * hidden + c] * pooled[c];
            }
            p[k] = z;
            max = Math.max(max, z);
        }
        double sum = 0;
        int best = 0;
        for (int k = 0; k < K; k++) {
            p[k] = Math.exp(p[k] - max);
            sum += p[k];
            if (p[k] > p[best]) {
                best = k;
            }
        }
        ctx.contentType("application/json").result(JSON.writeValueAsBytes(Map.of("label", labels.get(best), "confidence", p[best] / sum)));
    }

    @Override
    public int port() {
        return app.port();
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public void close() {
        app.stop();
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("closing the ONNX Runtime session: " + e.getMessage(), e);
        }
    }
}
