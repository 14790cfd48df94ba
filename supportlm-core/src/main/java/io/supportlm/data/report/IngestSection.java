package io.supportlm.data.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;

/** Renders the JSON written by {@code IngestResult.writeReport} as a Markdown section for the data report. */
public final class IngestSection {
    private IngestSection() {}

    public static String markdown(Path ingestReportJson) throws IOException {
        JsonNode r = new ObjectMapper().readTree(ingestReportJson.toFile());
        for (String field : new String[] {"rowsRead", "accepted", "rejected", "duplicatesDropped"}) {
            if (!r.path(field).isNumber()) {
                throw new IllegalArgumentException(ingestReportJson + ": not an ingest report (no numeric '" + field + "')");
            }
        }
        StringBuilder md = new StringBuilder("\n## Ingest\n\n");
        md.append("rows read ").append(r.path("rowsRead").asLong()).append(" = accepted ").append(r.path("accepted").asLong())
                .append(" + rejected ").append(r.path("rejected").asLong()).append(" + duplicates dropped ")
                .append(r.path("duplicatesDropped").asLong()).append("\n\n");
        if (!r.path("rejectedByReason").isEmpty()) {
            md.append("| rejected because | rows |\n|---|---:|\n");
            r.path("rejectedByReason").properties().forEach(e -> md.append("| ").append(e.getKey()).append(" | ")
                    .append(e.getValue().asLong()).append(" |\n"));
            md.append('\n');
        }
        if (!r.path("redactions").isEmpty()) {
            md.append("| redacted at ingest | count |\n|---|---:|\n");
            r.path("redactions").properties().forEach(e -> md.append("| ").append(e.getKey()).append(" | ")
                    .append(e.getValue().asLong()).append(" |\n"));
            md.append('\n');
        }
        return md.toString();
    }
}
