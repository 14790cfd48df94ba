package io.supportlm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Runs a peer's script from {@code bench/peers/} (numpy's OpenBLAS, PyTorch) right after our own
 * measurement, on the same machine and thread count, and reads the one JSON line it prints. The
 * peer is optional: a machine without Python or the module gets a line saying so, never a failure.
 * The interpreter is {@code $SUPPORTLM_PEER_PYTHON}, else the first of {@code python3} on the path
 * and Debian's {@code /usr/bin/python3} that can import the module (Debian's python3-torch lives
 * in the system interpreter, which a pyenv shim can hide).
 */
final class PeerBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();

    private PeerBenchmark() {}

    static Optional<JsonNode> run(String script, String module, int threads, List<String> args, long timeoutSeconds) {
        Optional<String> python = interpreter(module);
        if (python.isEmpty()) {
            System.out.println("peer: no Python with '" + module + "' found (set SUPPORTLM_PEER_PYTHON); peer not measured");
            return Optional.empty();
        }
        Path file;
        try {
            file = ClassifyBenchmark.repoFile("bench/peers/" + script);
        } catch (IllegalArgumentException e) {
            System.out.println("peer: " + e.getMessage() + "; peer not measured");
            return Optional.empty();
        }
        List<String> command = new ArrayList<>(List.of(python.get(), file.toString()));
        command.addAll(args);
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
            Map<String, String> env = pb.environment();
            String n = Integer.toString(threads);
            env.put("OPENBLAS_NUM_THREADS", n);
            env.put("OMP_NUM_THREADS", n);
            env.put("MKL_NUM_THREADS", n);
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                System.out.println("peer: " + script + " ran past " + timeoutSeconds + " s; peer not measured");
                return Optional.empty();
            }
            if (p.exitValue() != 0) {
                System.out.println("peer: " + script + " exited with " + p.exitValue() + "; peer not measured");
                return Optional.empty();
            }
            String last = out.strip().lines().reduce((a, b) -> b).orElse("");
            return Optional.of(JSON.readTree(last));
        } catch (IOException e) {
            System.out.println("peer: cannot run " + script + ": " + e.getMessage() + "; peer not measured");
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private static Optional<String> interpreter(String module) {
        List<String> candidates = new ArrayList<>();
        String configured = System.getenv("SUPPORTLM_PEER_PYTHON");
        if (configured != null && !configured.isBlank()) {
            candidates.add(configured);
        }
        candidates.add("python3");
        if (Files.isExecutable(Path.of("/usr/bin/python3"))) {
            candidates.add("/usr/bin/python3");
        }
        for (String c : candidates) {
            try {
                Process p = new ProcessBuilder(c, "-c", "import " + module).redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return Optional.of(c);
                }
            } catch (IOException e) {
                // not installed: try the next
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        }
        return Optional.empty();
    }
}
