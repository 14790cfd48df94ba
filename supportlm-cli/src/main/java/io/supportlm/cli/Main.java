package io.supportlm.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code supportlm} command. Each subcommand is one picocli {@code @Command} class that
 * returns an exit code: 0 success, 1 the work failed, 2 bad usage or bad input.
 */
@Command(
        name = "supportlm",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Fine-tune small open language models for customer support, evaluate them honestly, and serve them.",
        subcommands = {CommandLine.HelpCommand.class, DemoCommand.class, TrainCommand.class, EvalCommand.class, CompareCommand.class, ClassifyCommand.class, ChatCommand.class,
                ExportCommand.class, ServeCommand.class, PullCommand.class, ModelCommand.class, DataCommand.class, BenchCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code (tests call this instead of {@link #main}). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler(new UserErrors());
        return cli.execute(args);
    }

    /** Reports failures as one clear line; the stack trace only with SUPPORTLM_DEBUG=1. */
    static final class UserErrors implements CommandLine.IExecutionExceptionHandler {
        @Override
        public int handleExecutionException(Exception e, CommandLine cli, CommandLine.ParseResult parsed) {
            if ("1".equals(System.getenv("SUPPORTLM_DEBUG"))) {
                e.printStackTrace(cli.getErr());
            }
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            cli.getErr().println(cli.getCommandSpec().qualifiedName(" ") + ": error: " + message); // "supportlm bench serve: error: …"
            boolean badInput = e instanceof IllegalArgumentException || e instanceof java.io.IOException;
            return badInput ? 2 : 1;
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"supportlm " + (v == null ? "development build" : v),
                    "Java " + Runtime.version() + " (" + System.getProperty("java.vm.vendor") + ")"};
        }
    }
}
