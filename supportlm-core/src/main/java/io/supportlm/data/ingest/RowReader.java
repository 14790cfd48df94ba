package io.supportlm.data.ingest;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Streams the rows of a CSV, TSV, JSON (array of objects) or JSONL file to a consumer, each with
 * the line it starts on. CSV parsing is Jackson's {@code jackson-dataformat-csv} (RFC 4180 quoting,
 * multi-line fields). Invalid UTF-8 is decoded to U+FFFD so the row can be reported, not the file
 * abandoned; a leading byte-order mark is dropped. Rows that cannot be parsed arrive as
 * {@link SourceRow.Broken}; a parse error that loses the reader's place ends the file there.
 */
final class RowReader {
    static final char REPLACEMENT = '\uFFFD';
    private static final ObjectMapper JSON = new ObjectMapper();

    private RowReader() {}

    static String resolveFormat(String format, Path file) {
        if (!format.equals("auto")) {
            return format;
        }
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".csv")) {
            return "csv";
        } else if (name.endsWith(".tsv") || name.endsWith(".tab")) {
            return "tsv";
        } else if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) {
            return "jsonl";
        } else if (name.endsWith(".json")) {
            return "json";
        }
        throw new IllegalArgumentException(file + ": cannot tell the format from the extension; set format: csv|tsv|json|jsonl");
    }

    /** Reads every row of {@code file}; returns the CSV header (empty for JSON formats). */
    static List<String> read(Path file, String format, Consumer<SourceRow> sink) throws IOException {
        try (Reader reader = lenientUtf8(file)) {
            return switch (format) {
                case "csv" -> readCsv(reader, ',', sink);
                case "tsv" -> readCsv(reader, '\t', sink);
                case "jsonl" -> {
                    readJsonl(new BufferedReader(reader), sink);
                    yield List.of();
                }
                case "json" -> {
                    readJsonArray(reader, sink);
                    yield List.of();
                }
                default -> throw new IllegalArgumentException("unknown format " + format);
            };
        }
    }

    private static Reader lenientUtf8(Path file) throws IOException {
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE);
        Reader r = new BufferedReader(new InputStreamReader(Files.newInputStream(file), decoder), 1 << 16);
        r.mark(1);
        if (r.read() != '\uFEFF') {
            r.reset();
        }
        return r;
    }

    private static List<String> readCsv(Reader reader, char separator, Consumer<SourceRow> sink) throws IOException {
        // Features must be set on the mapper: SKIP_EMPTY_LINES enabled on a live parser is ignored.
        CsvMapper mapper = CsvMapper.builder().enable(CsvParser.Feature.SKIP_EMPTY_LINES)
                .enable(CsvParser.Feature.WRAP_AS_ARRAY).build();
        CsvSchema schema = CsvSchema.emptySchema().withColumnSeparator(separator);
        List<String> header = null;
        try (CsvParser p = mapper.getFactory().createParser(reader)) {
            p.setSchema(schema);
            JsonToken t = p.nextToken(); // the array around all rows
            if (t == null) {
                throw new IllegalArgumentException("empty file: no CSV header");
            }
            while (true) {
                long line = -1;
                long rowStart = -1;
                try {
                    t = p.nextToken();
                    if (t == null || t == JsonToken.END_ARRAY) {
                        break;
                    }
                    rowStart = p.currentLocation().getLineNr(); // where the reader stands: right after the previous row
                    List<String> fields = new ArrayList<>();
                    while ((t = p.nextToken()) != JsonToken.END_ARRAY && t != null) {
                        if (fields.isEmpty()) {
                            // The row's START_ARRAY carries the previous row's location; its first field does not.
                            line = p.currentTokenLocation().getLineNr();
                        }
                        fields.add(p.getText());
                    }
                    if (header == null) {
                        header = fields;
                        continue;
                    }
                    if (fields.size() != header.size()) {
                        sink.accept(new SourceRow.Broken(line, RejectReason.MALFORMED_ROW,
                                "row has " + fields.size() + " fields, the header has " + header.size()));
                        continue;
                    }
                    Map<String, String> values = new LinkedHashMap<>();
                    for (int i = 0; i < header.size(); i++) {
                        values.put(header.get(i), fields.get(i));
                    }
                    sink.accept(new SourceRow.Csv(line, values));
                } catch (JsonProcessingException e) {
                    long at = line > 0 ? line : rowStart > 0 ? rowStart : e.getLocation() == null ? -1 : e.getLocation().getLineNr();
                    sink.accept(new SourceRow.Broken(at, RejectReason.MALFORMED_ROW,
                            "CSV parse error, rest of file skipped: " + e.getOriginalMessage()));
                    break;
                }
            }
        }
        if (header == null) {
            throw new IllegalArgumentException("empty file: no CSV header");
        }
        return header;
    }

    private static void readJsonl(BufferedReader reader, Consumer<SourceRow> sink) throws IOException {
        String line;
        long lineNo = 0;
        while ((line = reader.readLine()) != null) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            try {
                JsonNode node = JSON.readTree(line);
                if (!node.isObject()) {
                    sink.accept(new SourceRow.Broken(lineNo, RejectReason.MALFORMED_ROW, "line is not a JSON object"));
                } else {
                    sink.accept(new SourceRow.Json(lineNo, node, line));
                }
            } catch (JsonProcessingException e) {
                RejectReason reason = line.indexOf(REPLACEMENT) >= 0 ? RejectReason.BAD_ENCODING : RejectReason.MALFORMED_ROW;
                sink.accept(new SourceRow.Broken(lineNo, reason, "invalid JSON: " + e.getOriginalMessage()));
            }
        }
    }

    private static void readJsonArray(Reader reader, Consumer<SourceRow> sink) throws IOException {
        try (JsonParser p = JSON.getFactory().createParser(reader)) {
            if (p.nextToken() != JsonToken.START_ARRAY) {
                throw new IllegalArgumentException("a .json input must be an array of objects");
            }
            JsonToken t;
            while (true) {
                long line = -1;
                try {
                    t = p.nextToken();
                    if (t == null || t == JsonToken.END_ARRAY) {
                        break;
                    }
                    line = p.currentTokenLocation().getLineNr();
                    JsonNode node = p.readValueAsTree();
                    if (!node.isObject()) {
                        sink.accept(new SourceRow.Broken(line, RejectReason.MALFORMED_ROW, "array element is not an object"));
                    } else {
                        sink.accept(new SourceRow.Json(line, node, null));
                    }
                } catch (JsonProcessingException e) {
                    long at = line > 0 ? line : e.getLocation() == null ? -1 : e.getLocation().getLineNr();
                    sink.accept(new SourceRow.Broken(at, RejectReason.MALFORMED_ROW,
                            "JSON parse error, rest of file skipped: " + e.getOriginalMessage()));
                    break;
                }
            }
        }
    }
}
