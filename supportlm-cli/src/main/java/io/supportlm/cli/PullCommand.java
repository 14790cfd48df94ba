package io.supportlm.cli;

import io.supportlm.hub.HubClient;
import io.supportlm.hub.HubException;
import io.supportlm.hub.HubSettings;
import io.supportlm.hub.IncludePatterns;
import io.supportlm.hub.RepoId;
import io.supportlm.hub.Snapshot;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code supportlm pull org/name[@revision]}: downloads a model into the Hugging Face cache (the layout
 * Python's huggingface_hub uses, so both share it) and prints the snapshot folder on stdout, alone on its
 * line, for scripts. Exit codes: 0 pulled, 1 the pull failed (network, access, integrity, not cached),
 * 2 bad input (malformed name or pattern, repository, revision or file not found).
 */
@Command(name = "pull", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Download a model from the Hugging Face Hub into the shared cache and print its local folder.",
                "Resumes interrupted downloads and checks every file against the hash the hub reports.",
                "Environment: HF_ENDPOINT, HF_TOKEN, HF_HUB_CACHE / HF_HOME, HF_HUB_OFFLINE=1 (see docs/hub.md)."},
        footer = {"", "Examples:",
                "  supportlm pull HuggingFaceTB/SmolLM2-135M-Instruct",
                "  supportlm pull Qwen/Qwen3-0.6B@main --include '*.json' --include '*.safetensors'",
                "  supportlm pull HuggingFaceTB/SmolLM2-135M-Instruct --offline"})
final class PullCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "org/name[@revision]",
            description = "Repository and optional branch, tag or commit (default: main).")
    String repository;

    @Option(names = "--include", paramLabel = "GLOB",
            description = {"Repository files to fetch; repeatable. '*' stays within a folder, '**' crosses folders.",
                    "Default: config, tokenizer, generation and chat-template files and *.safetensors weights."})
    List<String> include = List.of();

    @Option(names = "--cache-dir", paramLabel = "DIR",
            description = "Cache root. Default: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub.")
    Path cacheDir;

    @Option(names = "--endpoint", paramLabel = "URL", description = "Hub URL. Default: $HF_ENDPOINT, else the public hub (huggingface.co).")
    String endpoint;

    @Option(names = "--offline", description = "Use the cache only, never the network (also HF_HUB_OFFLINE=1).")
    boolean offline;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        HubClient client;
        RepoId repo;
        IncludePatterns patterns;
        try {
            repo = RepoId.parse(repository);
            patterns = IncludePatterns.orDefaults(include);
            HubSettings settings = HubSettings.fromEnvironment();
            if (endpoint != null) {
                settings = settings.withEndpoint(HubSettings.parseEndpoint(endpoint, "--endpoint"));
            }
            if (cacheDir != null) {
                settings = settings.withCacheDir(cacheDir);
            }
            if (offline) {
                settings = settings.withOffline(true);
            }
            client = new HubClient(settings);
        } catch (IllegalArgumentException e) {
            err.println("supportlm pull: error: " + e.getMessage());
            return 2;
        }
        try (PullProgress progress = new PullProgress(err, PullProgress.interactive())) {
            Snapshot snapshot = client.pull(repo, patterns, progress);
            progress.finish(snapshot);
            spec.commandLine().getOut().println(snapshot.directory());
            spec.commandLine().getOut().flush();
            return 0;
        } catch (HubException e) {
            err.println("supportlm pull: error: " + e.getMessage());
            return e.kind() == HubException.Kind.NOT_FOUND ? 2 : 1;
        } catch (IOException e) {
            err.println("supportlm pull: error: writing the cache under " + client.settings().cacheDir() + " failed: "
                    + e.getMessage());
            return 1;
        }
    }
}
