package io.supportlm.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.supportlm.model.InMemoryWeights;
import io.supportlm.model.decoder.DecoderConfig;
import io.supportlm.model.decoder.DecoderInit;
import io.supportlm.model.decoder.DecoderModel;
import io.supportlm.model.decoder.DecoderWeights;
import io.supportlm.model.decoder.KvCache;
import io.supportlm.tensor.DType;
import io.supportlm.tensor.Parallel;
import io.supportlm.tensor.Tensor;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.util.Random;

/**
 * Prefill and decode speed of a SmolLM2-135M-shaped model (30 layers, hidden 576, intermediate
 * 1536, 9 heads, 3 KV heads, vocabulary 49152, tied embeddings) with random weights stored in f32
 * and in bf16: tokens per second for one sequence.
 */
public final class GenerateBenchmark {
    /** SmolLM2-135M's config.json fields that shape the computation. */
    public static final String SMOLLM2_135M = """
            {"model_type": "llama", "hidden_size": 576, "intermediate_size": 1536, "num_hidden_layers": 30,
             "num_attention_heads": 9, "num_key_value_heads": 3, "vocab_size": 49152, "rms_norm_eps": 1e-5,
             "rope_theta": 100000, "max_position_embeddings": 8192, "tie_word_embeddings": true,
             "hidden_act": "silu", "bos_token_id": 0, "eos_token_id": 0}""";

    public record Result(DType dtype, int promptTokens, double prefillTokensPerSecond, int decodeTokens,
                         double decodeTokensPerSecond) {}

    private final int prompt;
    private final int decode;
    private final PrintStream out;

    public GenerateBenchmark(int prompt, int decode, PrintStream out) {
        this.prompt = prompt;
        this.decode = decode;
        this.out = out;
    }

    public void run() throws Exception {
        DecoderConfig config = DecoderConfig.fromJson(new ObjectMapper().readTree(SMOLLM2_135M));
        out.printf("SmolLM2-135M-shaped decoder, random weights, %d threads, prompt %d tokens, %d decoded tokens%n",
                Parallel.threads(), prompt, decode);
        InMemoryWeights f32 = DecoderInit.randomWeights(config, 1, 0.02f);
        try (Arena arena = Arena.ofShared()) {
            InMemoryWeights bf16 = new InMemoryWeights("bf16 copy");
            f32.asMap().forEach((name, t) -> bf16.put(name, Tensor.convert(t.array(), DType.BF16, arena, t.shape().dims())));
            out.printf("%-6s %16s %16s%n", "dtype", "prefill tok/s", "decode tok/s");
            for (var entry : new Object[][] {{DType.F32, f32}, {DType.BF16, bf16}}) {
                Result r = measure(config, (InMemoryWeights) entry[1], (DType) entry[0]);
                out.printf("%-6s %16.1f %16.1f%n", r.dtype(), r.prefillTokensPerSecond(), r.decodeTokensPerSecond());
            }
        }
    }

    private Result measure(DecoderConfig config, InMemoryWeights weights, DType dtype) {
        DecoderModel model = new DecoderModel(config, DecoderWeights.load(weights, config));
        Random rng = new Random(3);
        int[] tokens = new int[prompt];
        for (int i = 0; i < prompt; i++) {
            tokens[i] = rng.nextInt(config.vocabSize());
        }
        double bestPrefill = 0;
        double bestDecode = 0;
        for (int round = 0; round < 3; round++) { // the first round warms up the JIT
            KvCache cache = model.newCache(prompt + decode + 1);
            long t0 = System.nanoTime();
            float[] logits = model.prefill(cache, tokens);
            double prefill = prompt / ((System.nanoTime() - t0) / 1e9);
            long t1 = System.nanoTime();
            int next = argmax(logits);
            for (int i = 0; i < decode; i++) {
                next = argmax(model.decode(cache, next));
            }
            double dec = decode / ((System.nanoTime() - t1) / 1e9);
            if (round > 0) {
                bestPrefill = Math.max(bestPrefill, prefill);
                bestDecode = Math.max(bestDecode, dec);
            }
        }
        return new Result(dtype, prompt, bestPrefill, decode, bestDecode);
    }

    private static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
