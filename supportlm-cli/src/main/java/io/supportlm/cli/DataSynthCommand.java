package io.supportlm.cli;

import io.supportlm.data.Jsonl;
import io.supportlm.data.SupportRecord;
import io.supportlm.data.synth.SynthConfig;
import io.supportlm.data.synth.SyntheticTickets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "synth", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Generate labelled synthetic support tickets (queue, category, priority, is_actionable, "
                + "info_complete, resolution, reference answer) into DIR/tickets.jsonl. The same seed gives the same data."})
public final class DataSynthCommand implements Callable<Integer> {
    @Option(names = "--n", defaultValue = "2000", description = "Number of tickets.")
    int count;

    @Option(names = "--seed", defaultValue = "7", description = "Random seed.")
    long seed;

    @Option(names = "--out", required = true, description = "Output directory (tickets.jsonl is written there).")
    Path out;

    @Option(names = "--typos", defaultValue = "0.15", description = "Fraction of tickets with typos.")
    double typos;

    @Option(names = "--noise", defaultValue = "0.2", description = "Fraction with noise (lower-casing, off-topic sentences).")
    double noise;

    @Option(names = "--pii", defaultValue = "0.0", description = "Fraction carrying personal data (emails, phones, cards, IBANs, IPs, SSNs) to exercise redaction.")
    double pii;

    @Option(names = "--incomplete", defaultValue = "0.2", description = "Fraction missing the information an agent needs.")
    double incomplete;

    @Option(names = "--chat", defaultValue = "0.2", description = "Fraction of chat messages (text only) instead of emails (subject + body).")
    double chat;

    @Option(names = "--queue-weights", description = "Relative queue weights, e.g. billing=3,tech_support=2,shipping=1 (default: uniform over "
            + "billing, tech_support, account, shipping, sales, general).")
    String queueWeights;

    @Mixin
    DataOptions options;

    @Override
    public Integer call() throws Exception {
        SynthConfig config = new SynthConfig(count, seed, queueWeights == null ? null : SynthConfig.parseWeights(queueWeights),
                typos, noise, pii, incomplete, chat);
        List<SupportRecord> tickets;
        try (CliProgress progress = CliProgress.start("synth", count, options.showProgress())) {
            tickets = new SyntheticTickets(config).generate(progress::stepTo);
        }
        Path file = out.resolve("tickets.jsonl");
        Jsonl.write(file, tickets);
        System.out.println("wrote " + tickets.size() + " tickets to " + file);
        for (String task : List.of("queue", "priority", "resolution")) {
            Map<String, Integer> counts = new TreeMap<>();
            tickets.forEach(t -> counts.merge(t.label(task), 1, Integer::sum));
            System.out.println("  " + task + ": " + counts);
        }
        return 0;
    }
}
