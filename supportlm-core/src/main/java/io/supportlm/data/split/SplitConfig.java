package io.supportlm.data.split;

/**
 * Train/validation/test fractions, the seed, and what to stratify by.
 *
 * @param stratifyBy a label task name (e.g. {@code queue}), {@code tag:<prefix>} to stratify by the
 *                   first tag starting with the prefix (e.g. {@code tag:lang=}), or null for none
 */
public record SplitConfig(double train, double validation, double test, long seed, String stratifyBy) {
    public SplitConfig {
        if (train <= 0 || validation < 0 || test < 0) {
            throw new IllegalArgumentException("split fractions must be train > 0, validation >= 0, test >= 0; got "
                    + train + "/" + validation + "/" + test);
        }
        double sum = train + validation + test;
        if (Math.abs(sum - 1.0) > 1e-6) {
            throw new IllegalArgumentException("split fractions must sum to 1, got " + sum);
        }
        if (stratifyBy != null && stratifyBy.isBlank()) {
            stratifyBy = null;
        }
    }

    /** 80/10/10 with the given seed and stratification. */
    public static SplitConfig defaults(long seed, String stratifyBy) {
        return new SplitConfig(0.8, 0.1, 0.1, seed, stratifyBy);
    }
}
