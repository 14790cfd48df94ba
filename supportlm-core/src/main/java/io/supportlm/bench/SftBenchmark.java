package io.supportlm.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.supportlm.kernels.AdamW;
import io.supportlm.kernels.Peak;
import io.supportlm.model.decoder.DecoderBackbone;
import io.supportlm.model.decoder.DecoderConfig;
import io.supportlm.model.decoder.DecoderInit;
import io.supportlm.model.decoder.DecoderModel;
import io.supportlm.model.decoder.DecoderWeights;
import io.supportlm.peft.LoraAdapter;
import io.supportlm.peft.LoraConfig;
import io.supportlm.sft.CausalLmLoss;
import io.supportlm.sft.SftBatch;
import io.supportlm.tensor.Parallel;
import io.supportlm.train.LrSchedule;
import io.supportlm.train.Optimizer;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * SFT training speed: LoRA (r 16 on every linear layer but the LM head, dropout 0) on a
 * SmolLM2-135M-shaped decoder with random f32 weights, B × T tokens per step with every position
 * trained (the LM head over the whole 49k vocabulary runs on every token, in chunks). A step is
 * forward, loss, backward and the AdamW update. Reports tokens/s, the step time and the achieved
 * matmul GFLOP/s — 4 · tokens · (linear + LM-head weights) per step (a forward and the input
 * gradient; frozen weights get no weight gradient; LoRA and attention not counted) — against the
 * measured FMA peak ({@link Peak}).
 */
public final class SftBenchmark {
    /**
     * Logit rows per LM-head product, as the trainer's default {@code sft.logit_chunk}: each chunk
     * packs the whole 49k × 576 head, so chunks of a few dozen rows spend more time packing than
     * multiplying.
     */
    static final int LOGIT_CHUNK = 512;

    public record Result(int tokensPerStep, double secondsPerStep, double tokensPerSecond, double gflops, double peakGflops) {}

    private final int layers, vocab, B, T, warmup, steps;
    private final PrintStream out;

    /** {@code layers} and {@code vocab} override the shape (30 and 49152 for the real one; less for a smoke run). */
    public SftBenchmark(int layers, int vocab, int B, int T, int warmup, int steps, PrintStream out) {
        if (layers < 1 || vocab < 2 || B < 1 || T < 2 || warmup < 0 || steps < 1) {
            throw new IllegalArgumentException("sft bench: layers, batch and steps must be at least 1, length at least 2");
        }
        this.layers = layers;
        this.vocab = vocab;
        this.B = B;
        this.T = T;
        this.warmup = warmup;
        this.steps = steps;
        this.out = out;
    }

    public Result run() throws Exception {
        ObjectNode json = (ObjectNode) new ObjectMapper().readTree(GenerateBenchmark.SMOLLM2_135M);
        json.put("num_hidden_layers", layers);
        json.put("vocab_size", vocab);
        DecoderConfig config = DecoderConfig.fromJson(json);
        DecoderModel model = new DecoderModel(config, DecoderWeights.load(DecoderInit.randomWeights(config, 1, 0.02f), config));
        LoraAdapter lora = LoraAdapter.attach(new DecoderBackbone(model), new LoraConfig(16, 32, 0f, List.of("all-linear"), false, false), 2);
        Optimizer optimizer = new Optimizer(lora.parameters(), new AdamW.Config(0.9, 0.999, 1e-8, 0.01),
                new LrSchedule(LrSchedule.Kind.CONSTANT, 1e-4, 0, warmup + steps), 1f);
        CausalLmLoss loss = new CausalLmLoss(model, null, B, T, LOGIT_CHUNK, false);
        Random rng = new Random(3);
        int N = B * T;
        int[] ids = new int[N], mask = new int[N], positions = new int[N];
        for (int i = 0; i < N; i++) {
            ids[i] = rng.nextInt(config.vocabSize());
            mask[i] = 1;
            positions[i] = i % T;
        }
        SftBatch batch = new SftBatch(B, T, ids, ids.clone(), mask, positions, null);
        float[] scales = new float[B];
        Arrays.fill(scales, 1f / CausalLmLoss.targets(batch));
        long linearWeights = 0;
        for (var l : model.linearLayers().values()) {
            linearWeights += (long) l.inFeatures() * l.outFeatures();
        }
        out.printf("SFT step: SmolLM2-135M-shaped decoder (%d layers, vocabulary %d), LoRA r 16 on all linear layers (%,d trainable), %d×%d tokens, %d threads%n",
                layers, vocab, lora.trainableCount(), B, T, Parallel.threads());
        double best = Double.MAX_VALUE, total = 0;
        for (int s = 0; s < warmup + steps; s++) {
            long t0 = System.nanoTime();
            optimizer.zeroGrad();
            loss.forward(batch);
            loss.rowLosses(batch, scales);
            optimizer.apply();
            double dt = (System.nanoTime() - t0) / 1e9;
            if (s >= warmup) {
                total += dt;
                best = Math.min(best, dt);
            }
        }
        double mean = total / steps;
        double gflops = 4.0 * N * linearWeights / mean / 1e9;
        double peak = Peak.gflops(3, 200);
        Result r = new Result(N, mean, N / mean, gflops, peak);
        out.printf("step %.2f s (best %.2f s), %.1f tokens/s, %.1f GFLOP/s in the matmuls = %.0f%% of the %.1f GFLOP/s FMA peak%n",
                mean, best, r.tokensPerSecond(), gflops, 100 * gflops / peak, peak);
        return r;
    }
}
