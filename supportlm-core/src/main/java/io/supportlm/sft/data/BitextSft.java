package io.supportlm.sft.data;

import io.supportlm.data.SupportRecord;
import io.supportlm.data.ingest.IngestConfig;
import io.supportlm.data.ingest.IngestResult;
import io.supportlm.data.ingest.Ingester;
import io.supportlm.data.split.SplitConfig;
import io.supportlm.data.split.SplitResult;
import io.supportlm.data.split.Splitter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * SFT data from the Bitext customer-support sample, following the project's held-out convention:
 * ingest with {@code docs/examples/bitext-ingest.yaml}, split with
 * {@code new Splitter(SplitConfig.defaults(42, "intent"))}; SFT trains on the train split,
 * validates on the validation split, and evaluation suites come from the test split only.
 * Each record becomes one exchange: the customer's instruction as the user turn, the agent's
 * response as the trained reply.
 */
public final class BitextSft {
    /** The split seed of the held-out convention. */
    public static final long SPLIT_SEED = 42;
    /** The label the split is stratified by. */
    public static final String STRATIFY_BY = "intent";

    private BitextSft() {}

    /** The ingested records and their split; {@code ingest} is the ingest result, for its summary. */
    public record Splits(IngestResult ingest, SplitResult split) {}

    /** Ingests the CSV with the given ingest config and splits it by the convention. */
    public static Splits split(Path csv, Path ingestConfig) throws IOException {
        IngestResult ingested = new Ingester(IngestConfig.load(ingestConfig)).ingest(List.of(csv));
        return new Splits(ingested, new Splitter(SplitConfig.defaults(SPLIT_SEED, STRATIFY_BY)).split(ingested.records()));
    }

    /** One conversation per record (the record's id as its source); a record without answer is an error. */
    public static List<Conversation> conversations(List<SupportRecord> records) {
        List<Conversation> out = new ArrayList<>(records.size());
        for (SupportRecord r : records) {
            out.add(SftJsonl.fromSupportRecord(r, r.id()));
        }
        return out;
    }

    /**
     * Writes {@code train.jsonl}, {@code validation.jsonl} and {@code test.jsonl} under {@code outDir}
     * as {@code {"id", "messages"}} records; returns the count written per split.
     */
    public static Map<String, Integer> writeSplits(Splits splits, Path outDir) throws IOException {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (var e : splits.split().byName().entrySet()) {
            List<Conversation> conversations = conversations(e.getValue());
            SftJsonl.writeConversations(outDir.resolve(e.getKey() + ".jsonl"), conversations);
            counts.put(e.getKey(), conversations.size());
        }
        return counts;
    }
}
