package io.supportlm.cli;

import io.supportlm.eval.reply.EvalSuite;
import io.supportlm.eval.reply.Judge;
import io.supportlm.eval.reply.LlmJudge;
import io.supportlm.eval.reply.OfflineJudge;
import io.supportlm.eval.reply.RefusalDetector;
import io.supportlm.eval.reply.ReplyEvaluation;
import io.supportlm.eval.reply.ReplyModel;
import io.supportlm.eval.reply.ReplyReport;
import io.supportlm.eval.reply.ReplyReportWriter;
import io.supportlm.eval.reply.SuiteItem;
import io.supportlm.server.policy.PolicyConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Option;

/** The {@code eval --suite} path: loads the suites and models, runs {@link ReplyEvaluation}, writes the report. */
final class ReplySuiteEval {
    private ReplySuiteEval() {
    }

    /** The options only reply evaluation has. */
    static final class Options {
        @Option(names = "--tuned-model", description = "A full tuned checkpoint (e.g. after `export merge`) to compare with --model.")
        String tunedModel;

        @Option(names = "--max-new-tokens", defaultValue = "256", description = "Most tokens per answer (greedy decoding).")
        int maxNewTokens = 256;

        @Option(names = "--system", description = "A system prompt put before every question, for both models "
                + "(default: the one the adapter was trained with, else none).")
        String system;

        @Option(names = "--limit", description = "Evaluate only the first N questions (a quick look).")
        Integer limit;

        @Option(names = "--judge", defaultValue = "offline", description = "offline (ROUGE-L to the reference; refusal on safety items) "
                + "or openai (any OpenAI-compatible /v1/chat/completions).")
        String judge = "offline";

        @Option(names = "--tie-margin", defaultValue = "0.02", description = "Offline judge: ROUGE-L differences up to this are ties.")
        double tieMargin = 0.02;

        @Option(names = "--judge-url", description = "LLM judge base URL (default: $OPENAI_BASE_URL, else https://api.openai.com/v1).")
        String judgeUrl;

        @Option(names = "--judge-model", description = "LLM judge model name (default: $SUPPORTLM_JUDGE_MODEL).")
        String judgeModel;

        @Option(names = "--judge-api-key-env", defaultValue = "OPENAI_API_KEY", description = "Environment variable holding the judge's API key.")
        String judgeApiKeyEnv = "OPENAI_API_KEY";

        @Option(names = "--judge-cache", description = "Where judge replies are cached (default: OUT/judge-cache).")
        Path judgeCache;

        @Option(names = "--policy", description = "Serving policy YAML: its out_of_scope.message also counts as a refusal.")
        Path policy;
    }

    static int run(List<Path> suitePaths, String model, Path adapter, Path out, boolean noBase, Options o) throws Exception {
        if (model == null) {
            throw new IllegalArgumentException("--suite needs --model (the base model directory or org/name)");
        }
        if (adapter != null && o.tunedModel != null) {
            throw new IllegalArgumentException("give --adapter or --tuned-model, not both");
        }
        if (o.maxNewTokens < 1) {
            throw new IllegalArgumentException("--max-new-tokens must be >= 1, got " + o.maxNewTokens);
        }
        EvalSuite suite = merge(suitePaths, o.limit);
        Path target = out != null ? out : Path.of("results").resolve("eval-" + suite.name());
        String outOfScope = null;
        if (o.policy != null) {
            PolicyConfig p = PolicyConfig.load(o.policy);
            outOfScope = p.outOfScope() == null ? null : p.outOfScope().message();
        }
        RefusalDetector refusals = new RefusalDetector(outOfScope);
        boolean compare = (adapter != null || o.tunedModel != null) && !noBase;
        Judge judge = compare ? judge(o, refusals, target) : null;

        String tunedSource = o.tunedModel != null ? o.tunedModel : model;
        try (ReplyModel tuned = ReplyModel.open(tunedSource, adapter);
             ReplyModel base = compare ? ReplyModel.open(model, null) : null) {
            String tunedName = adapter != null ? "tuned (" + adapter.getFileName() + ")" : o.tunedModel != null ? "tuned" : "model";
            var setup = new ReplyReport.Setup(suite.name(), tunedSource, compare ? model : null, adapter == null ? null : adapter.toString(),
                    ReplyModel.sizeOnDisk(tuned.directory()), ReplyModel.sizeOnDisk(adapter), o.maxNewTokens, "greedy",
                    judge == null ? null : judge.description());
            System.err.printf("evaluating %d questions of %s: %s%s, up to %d new tokens each%n", suite.items().size(), suite.name(),
                    tunedSource + (adapter == null ? "" : " + adapter " + adapter), compare ? " against the base " + model : "", o.maxNewTokens);
            // the system prompt the adapter was trained with goes to both models: they answer the same prompt
            String system = o.system != null ? o.system : tuned.trainedSystemPrompt();
            ReplyReport report = ReplyEvaluation.run(suite, tuned.responder(tunedName, o.maxNewTokens, system),
                    base == null ? null : base.responder("base", o.maxNewTokens, system), judge, refusals, setup,
                    (done, total, last) -> System.err.printf(Locale.ROOT, "  %d/%d %s: %d tokens in %.0f ms%n", done, total,
                            last.item().id(), last.tuned().answer().tokens(), last.tuned().answer().latencyMs()));
            ReplyReportWriter.Written w = ReplyReportWriter.write(report, target);
            System.out.print(w.consoleTable());
            System.out.println("report: " + w.summaryMd());
        }
        return 0;
    }

    /** The suites as one (ids must stay unique), cut to the first {@code limit} questions if given. */
    static EvalSuite merge(List<Path> paths, Integer limit) throws java.io.IOException {
        var items = new ArrayList<SuiteItem>();
        var names = new ArrayList<String>();
        Map<String, Path> idSource = new HashMap<>();
        for (Path p : paths) {
            EvalSuite s = EvalSuite.load(p);
            names.add(s.name());
            for (SuiteItem item : s.items()) {
                Path earlier = idSource.putIfAbsent(item.id(), p);
                if (earlier != null) {
                    throw new IllegalArgumentException(p + ": id '" + item.id() + "' is also in " + earlier + "; ids must be unique across suites");
                }
                items.add(item);
            }
        }
        if (limit != null) {
            if (limit < 1) {
                throw new IllegalArgumentException("--limit must be >= 1, got " + limit);
            }
            items = new ArrayList<>(items.subList(0, Math.min(limit, items.size())));
        }
        return new EvalSuite(String.join("+", names), items);
    }

    private static Judge judge(Options o, RefusalDetector refusals, Path target) throws java.io.IOException {
        return switch (o.judge) {
            case "offline" -> new OfflineJudge(o.tieMargin, refusals);
            case "openai" -> {
                String url = o.judgeUrl != null ? o.judgeUrl : env("OPENAI_BASE_URL", "https://api.openai.com/v1");
                String modelName = o.judgeModel != null ? o.judgeModel : env("SUPPORTLM_JUDGE_MODEL", null);
                if (modelName == null) {
                    throw new IllegalArgumentException("--judge openai needs --judge-model (or SUPPORTLM_JUDGE_MODEL)");
                }
                Path cache = o.judgeCache != null ? o.judgeCache : target.resolve("judge-cache");
                yield new LlmJudge(new LlmJudge.Config(URI.create(url), modelName, System.getenv(o.judgeApiKeyEnv), Duration.ofSeconds(120),
                        cache, 4));
            }
            default -> throw new IllegalArgumentException("--judge must be offline or openai, got '" + o.judge + "'");
        };
    }

    private static String env(String name, String dflt) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? dflt : v;
    }
}
