package io.supportlm.sft;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Turns tokenized examples into the trainer's batches: one epoch's order (a seeded shuffle, the
 * same for a seed and epoch whatever came before, which resuming needs), then rows that are
 * either one example each, right-padded to the longest of the batch, or several examples packed
 * into rows of a fixed length (first fit in order; {@link SftBatch#segments()} keeps attention and
 * the loss inside each example, positions restart at 0).
 */
public final class SftBatching {
    private SftBatching() {}

    /** The example indices of one epoch, shuffled from {@code seed} and {@code epoch} alone. */
    public static int[] epochOrder(int n, long seed, int epoch) {
        int[] order = new int[n];
        Arrays.setAll(order, i -> i);
        Random rng = new Random(seed * 1_000_003L + epoch);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    /** One row per example, right-padded with {@code padId} to the longest example (labels IGNORE, mask 0 there). */
    public static SftBatch padded(List<SftExample> examples, int padId) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("a batch needs at least one example");
        }
        int T = 1;
        for (SftExample e : examples) {
            T = Math.max(T, e.length());
        }
        int B = examples.size(), N = B * T;
        int[] ids = new int[N], labels = new int[N], mask = new int[N], positions = new int[N];
        Arrays.fill(ids, padId);
        Arrays.fill(labels, SftExample.IGNORE);
        for (int b = 0; b < B; b++) {
            SftExample e = examples.get(b);
            System.arraycopy(e.ids(), 0, ids, b * T, e.length());
            System.arraycopy(e.labels(), 0, labels, b * T, e.length());
            for (int t = 0; t < e.length(); t++) {
                mask[b * T + t] = 1;
                positions[b * T + t] = t;
            }
        }
        return new SftBatch(B, T, ids, labels, mask, positions, null);
    }

    /**
     * Packs examples in order into rows of {@code T} tokens (a new row when the next example does
     * not fit), padding each row's tail; every example must fit in T. Padding is a segment of its
     * own, so no real token attends to it.
     */
    public static SftBatch packed(List<SftExample> examples, int T, int padId) {
        List<List<SftExample>> rows = new ArrayList<>();
        int used = T;
        for (SftExample e : examples) {
            if (e.length() > T) {
                throw new IllegalArgumentException("an example of " + e.length() + " tokens does not fit a packed row of " + T);
            }
            if (used + e.length() > T) {
                rows.add(new ArrayList<>());
                used = 0;
            }
            rows.get(rows.size() - 1).add(e);
            used += e.length();
        }
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("a batch needs at least one example");
        }
        int B = rows.size(), N = B * T;
        int[] ids = new int[N], labels = new int[N], mask = new int[N], positions = new int[N], segments = new int[N];
        Arrays.fill(ids, padId);
        Arrays.fill(labels, SftExample.IGNORE);
        for (int b = 0; b < B; b++) {
            int t0 = 0, seg = 0;
            for (SftExample e : rows.get(b)) {
                for (int t = 0; t < e.length(); t++) {
                    int i = b * T + t0 + t;
                    ids[i] = e.ids()[t];
                    labels[i] = e.labels()[t];
                    mask[i] = 1;
                    positions[i] = t;
                    segments[i] = seg;
                }
                t0 += e.length();
                seg++;
            }
            for (int t = t0; t < T; t++) {
                segments[b * T + t] = seg;
            }
        }
        return new SftBatch(B, T, ids, labels, mask, positions, segments);
    }

    /** The examples at {@code order[from, to)}. */
    public static List<SftExample> slice(List<SftExample> all, int[] order, int from, int to) {
        List<SftExample> out = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            out.add(all.get(order[i]));
        }
        return out;
    }
}
