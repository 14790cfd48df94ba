package io.supportlm.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code supportlm data}: the support data pipeline (see docs/data.md). */
@Command(name = "data", mixinStandardHelpOptions = true,
        description = "Support data: synthesize, ingest, validate, split, report, label with a teacher model, and draw evaluation suites.",
        subcommands = {DataSynthCommand.class, DataIngestCommand.class, DataValidateCommand.class, DataSplitCommand.class,
                DataReportCommand.class, DataLabelCommand.class, DataSuiteCommand.class})
public final class DataCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
