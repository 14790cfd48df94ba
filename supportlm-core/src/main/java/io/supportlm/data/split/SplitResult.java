package io.supportlm.data.split;

import io.supportlm.data.SupportRecord;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The three splits and any warnings (small strata) raised while making them. */
public record SplitResult(List<SupportRecord> train, List<SupportRecord> validation, List<SupportRecord> test,
                          List<String> warnings) {
    public SplitResult {
        train = List.copyOf(train);
        validation = List.copyOf(validation);
        test = List.copyOf(test);
        warnings = List.copyOf(warnings);
    }

    /** The splits by their file names (train, validation, test), in that order. */
    public Map<String, List<SupportRecord>> byName() {
        Map<String, List<SupportRecord>> m = new LinkedHashMap<>();
        m.put("train", train);
        m.put("validation", validation);
        m.put("test", test);
        return m;
    }
}
