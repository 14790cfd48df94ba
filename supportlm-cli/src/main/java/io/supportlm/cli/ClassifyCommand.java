package io.supportlm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.supportlm.classify.ClassifierPredictor;
import io.supportlm.classify.LoadedClassifiers;
import io.supportlm.data.Jsonl;
import io.supportlm.data.SupportRecord;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code supportlm classify}: labels tickets with a fine-tuned classifier. */
@Command(name = "classify", mixinStandardHelpOptions = true,
        description = {"Classifies tickets with a fine-tuned classifier: one --text, a JSONL --input (to --output or stdout), "
                + "or lines from stdin; interactive when stdin is a terminal."})
final class ClassifyCommand implements Callable<Integer> {
    @Option(names = "--adapter", required = true, paramLabel = "DIR", description = "The classifier directory (runs/<id>/adapter); "
            + "repeat it to classify with an ensemble (the classifiers' probabilities averaged).")
    List<Path> adapters;

    @Option(names = "--model", description = "Base model directory or org/name (default: the one the adapter was trained on).")
    String model;

    @Option(names = "--text", description = "One text to classify.")
    String text;

    @Option(names = "--input", description = "JSONL records (supportlm schema) to classify.")
    Path input;

    @Option(names = "--output", description = "Where to write the JSONL results (default: stdout).")
    Path output;

    @Option(names = "--top-k", defaultValue = "3", description = "Labels to show per task. Default: ${DEFAULT-VALUE}.")
    int topK;

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public Integer call() throws Exception {
        if (topK < 1) {
            throw new IllegalArgumentException("--top-k must be at least 1");
        }
        try (LoadedClassifiers classifiers = LoadedClassifiers.open(adapters, model)) {
            ClassifierPredictor predictor = classifiers.predictor(32);
            if (text != null) {
                print(System.out, text, predictor.predict(List.of(text), topK).get(0));
            } else if (input != null) {
                List<SupportRecord> records = Jsonl.read(input);
                List<ClassifierPredictor.Prediction> preds = predictor.predict(records.stream().map(SupportRecord::mainText).toList(), topK);
                try (Writer w = output == null ? new java.io.OutputStreamWriter(System.out, StandardCharsets.UTF_8)
                        : Files.newBufferedWriter(output, StandardCharsets.UTF_8)) {
                    for (int i = 0; i < records.size(); i++) {
                        ObjectNode line = JSON.createObjectNode();
                        line.put("id", records.get(i).id());
                        line.set("predictions", JSON.valueToTree(preds.get(i).byTask()));
                        line.put("latency_ms", preds.get(i).latencyMs());
                        w.write(JSON.writeValueAsString(line));
                        w.write('\n');
                    }
                }
                if (output != null) {
                    System.err.println("classified " + records.size() + " records -> " + output);
                }
            } else {
                boolean interactive = System.console() != null;
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                if (interactive) {
                    System.err.println("type a ticket and press enter (ctrl-d to quit)");
                }
                String line;
                while (true) {
                    if (interactive) {
                        System.err.print("> ");
                    }
                    line = in.readLine();
                    if (line == null) {
                        break;
                    }
                    if (!line.isBlank()) {
                        print(System.out, line, predictor.predict(List.of(line), topK).get(0));
                    }
                }
            }
        }
        return 0;
    }

    private static void print(PrintStream out, String text, ClassifierPredictor.Prediction p) {
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, List<ClassifierPredictor.Scored>> e : p.byTask().entrySet()) {
            StringBuilder sb = new StringBuilder(e.getKey()).append(": ");
            for (int i = 0; i < e.getValue().size(); i++) {
                ClassifierPredictor.Scored s = e.getValue().get(i);
                sb.append(i == 0 ? "" : ", ").append(s.label()).append(String.format(" %.2f", s.probability()));
            }
            parts.add(sb.toString());
        }
        out.printf("%s%n  %s%n  (%.1f ms)%n", text.length() > 100 ? text.substring(0, 100) + "…" : text, String.join("\n  ", parts), p.latencyMs());
    }
}
