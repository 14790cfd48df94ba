package io.supportlm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.supportlm.data.Jsonl;
import io.supportlm.data.SupportRecord;
import io.supportlm.data.synth.SynthConfig;
import io.supportlm.data.synth.SyntheticTickets;
import io.supportlm.model.init.ModelInit;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train → classify through the command line, the second time in a fresh JVM. */
class ClassifierCliTest {
    @Test
    void aTrainedClassifierGivesTheSamePredictionsWhenReloadedInAFreshProcess(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("bert");
        ModelInit.write("bert", "tiny", 3, model);
        List<SupportRecord> tickets = new SyntheticTickets(SynthConfig.defaults(120, 5)).generate();
        Jsonl.write(dir.resolve("train.jsonl"), tickets.subList(0, 100));
        Jsonl.write(dir.resolve("valid.jsonl"), tickets.subList(100, 120));
        int code = Main.run("train", "--quiet", "--set", "model=" + model, "--set", "data.train=" + dir.resolve("train.jsonl"),
                "--set", "data.validation=" + dir.resolve("valid.jsonl"), "--set", "data.tasks=[queue, priority]",
                "--set", "data.max_length=64", "--set", "optim.epochs=1", "--set", "output_dir=" + dir.resolve("runs"),
                "--set", "run_id=r1", "--set", "eval.every=3");
        assertEquals(0, code);
        Path adapter = dir.resolve("runs/r1/adapter");
        assertTrue(Files.isRegularFile(adapter.resolve("adapter_model.safetensors")));

        Path here = dir.resolve("here.jsonl");
        assertEquals(0, Main.run("classify", "--adapter", adapter.toString(), "--input", dir.resolve("valid.jsonl").toString(),
                "--output", here.toString()));

        Path there = dir.resolve("there.jsonl");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "classify", "--adapter", adapter.toString(), "--input", dir.resolve("valid.jsonl").toString(), "--output", there.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child JVM finished");
        assertEquals(0, p.exitValue(), Files.readString(dir.resolve("child.log")));

        ObjectMapper json = new ObjectMapper();
        List<String> a = Files.readAllLines(here);
        List<String> b = Files.readAllLines(there);
        assertEquals(20, a.size());
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(json.readTree(a.get(i)).path("predictions"), json.readTree(b.get(i)).path("predictions"), "record " + i);
        }
    }

    @Test
    void evalAndClassifyTakeSeveralAdaptersAsOneEnsemble(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("bert");
        ModelInit.write("bert", "tiny", 3, model);
        List<SupportRecord> tickets = new SyntheticTickets(SynthConfig.defaults(80, 5)).generate();
        Jsonl.write(dir.resolve("train.jsonl"), tickets.subList(0, 60));
        Jsonl.write(dir.resolve("test.jsonl"), tickets.subList(60, 80));
        List<String> adapters = new ArrayList<>();
        for (Path adapter : trainSeeds(model, dir.resolve("train.jsonl"), "[queue, priority]", dir.resolve("runs"), 42, 43)) {
            adapters.addAll(List.of("--adapter", adapter.toString()));
        }
        List<String> eval = new ArrayList<>(List.of("eval", "--data", dir.resolve("test.jsonl").toString(), "--no-base",
                "--out", dir.resolve("report").toString()));
        eval.addAll(adapters);
        assertEquals(0, Main.run(eval.toArray(String[]::new)));
        String metrics = Files.readString(dir.resolve("report/metrics.json"));
        assertTrue(metrics.contains("ensemble of 2") && metrics.contains("\"evaluated\" : 20"), metrics);

        List<String> classify = new ArrayList<>(List.of("classify", "--input", dir.resolve("test.jsonl").toString(),
                "--output", dir.resolve("out.jsonl").toString(), "--top-k", "1"));
        classify.addAll(adapters);
        assertEquals(0, Main.run(classify.toArray(String[]::new)));
        assertEquals(20, Files.readAllLines(dir.resolve("out.jsonl")).size());
    }

    /** Trains one small classifier per seed with {@code train} (two steps each) and returns their adapter directories. */
    static List<Path> trainSeeds(Path model, Path train, String tasks, Path runs, int... seeds) {
        List<Path> adapters = new ArrayList<>();
        for (int seed : seeds) {
            assertEquals(0, Main.run("train", "--quiet", "--set", "model=" + model, "--set", "data.train=" + train,
                    "--set", "data.tasks=" + tasks, "--set", "data.max_length=32", "--set", "optim.max_steps=2",
                    "--set", "seed=" + seed, "--set", "output_dir=" + runs, "--set", "run_id=s" + seed));
            adapters.add(runs.resolve("s" + seed + "/adapter"));
        }
        return adapters;
    }

    @Test
    void aConfigWithAnUnknownKeyFailsWithExitCodeTwo(@TempDir Path dir) {
        assertEquals(2, Main.run("train", "--set", "model=m", "--set", "data.train=t", "--set", "data.tasks=[q]", "--set", "optim.nope=1"));
    }
}
