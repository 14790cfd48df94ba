package io.supportlm.sft.data;

import io.supportlm.sft.PreferenceExample;
import io.supportlm.sft.SftBatch;
import io.supportlm.sft.SftExample;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;

/**
 * The batches of an epoch, padded or packed, in an order that depends on the seed and the epoch
 * only: {@link #batch(int, int)} gives the same batch whenever it is asked, so a run resumed at
 * (epoch, step) sees exactly the batches an uninterrupted run would have.
 *
 * <ul>
 *   <li>{@link #padded}: each epoch shuffles the examples; each batch holds {@code batchSize} of
 *       them (the last one fewer), right-padded to the longest in the batch. Padding has mask 0,
 *       position 0 and label {@link SftExample#IGNORE} whatever the pad id is, so a pad id equal to
 *       EOS never removes a real EOS from the loss: labels come from the example, never from the
 *       ids.</li>
 *   <li>{@link #packed}: once, the examples are shuffled with the seed and placed first-fit into
 *       rows of {@code rowLength} tokens (each goes to the first row with room); each epoch then
 *       shuffles the rows and groups {@code rowsPerBatch} of them into a batch. Each example keeps
 *       its labels, its positions restart at 0, and {@code segments} numbers the examples of a row
 *       0, 1, 2… (padding at the row's end: -1), so attention and the loss stay within an
 *       example. Examples must not label their first token (the loss at the previous example's last
 *       position would otherwise predict it); {@link ConversationEncoder} never does.</li>
 *   <li>{@link #preferencePairs}: for DPO, each epoch shuffles the pairs; a batch of {@code P}
 *       pairs has {@code 2P} rows, padded as above: rows {@code 0..P-1} the chosen sequences,
 *       rows {@code P..2P-1} the rejected ones in the same order, so one forward pass scores both.</li>
 * </ul>
 * The shuffles use {@link java.util.Random}, whose sequence the Java specification fixes, so the
 * order is the same on every JVM.
 */
public final class SftBatches {
    private final List<SftExample> examples;
    private final int[][] units; // what an epoch shuffles: one example (padded), a row's examples (packed), a pair
    private final boolean pairs; // units are (chosen, rejected) and become two rows each
    private final int perBatch;
    private final int rowLength; // 0: padded to the longest in the batch
    private final int padId;
    private final long seed;
    private int cachedEpoch = Integer.MIN_VALUE;
    private int[] cachedOrder;

    private SftBatches(List<SftExample> examples, int[][] units, boolean pairs, int perBatch, int rowLength, int padId, long seed) {
        this.examples = List.copyOf(examples);
        this.units = units;
        this.pairs = pairs;
        this.perBatch = perBatch;
        this.rowLength = rowLength;
        this.padId = padId;
        this.seed = seed;
    }

    /** Batches of {@code batchSize} examples, padded on the right to the longest in each batch. */
    public static SftBatches padded(List<SftExample> examples, int batchSize, int padId, long seed) {
        check(examples, batchSize, "batch_size");
        int[][] units = new int[examples.size()][];
        for (int i = 0; i < units.length; i++) {
            units[i] = new int[] {i};
        }
        return new SftBatches(examples, units, false, batchSize, 0, padId, seed);
    }

    /** DPO batches of {@code pairsPerBatch} pairs: the chosen rows, then the rejected rows, padded on the right. */
    public static SftBatches preferencePairs(List<PreferenceExample> pairs, int pairsPerBatch, int padId, long seed) {
        if (pairs.isEmpty()) {
            throw new IllegalArgumentException("no preference pairs to batch");
        }
        if (pairsPerBatch < 1) {
            throw new IllegalArgumentException("pairs per batch must be at least 1, got " + pairsPerBatch);
        }
        int n = pairs.size();
        List<SftExample> examples = new ArrayList<>(2 * n);
        pairs.forEach(p -> examples.add(p.chosen()));
        pairs.forEach(p -> examples.add(p.rejected()));
        int[][] units = new int[n][];
        for (int i = 0; i < n; i++) {
            units[i] = new int[] {i, n + i};
        }
        return new SftBatches(examples, units, true, pairsPerBatch, 0, padId, seed);
    }

    /** Batches of {@code rowsPerBatch} rows of {@code rowLength} tokens, each row holding several examples. */
    public static SftBatches packed(List<SftExample> examples, int rowsPerBatch, int rowLength, int padId, long seed) {
        check(examples, rowsPerBatch, "rows per batch");
        if (rowLength < 2) {
            throw new IllegalArgumentException("packing: row length must be at least 2, got " + rowLength);
        }
        for (int i = 0; i < examples.size(); i++) {
            SftExample e = examples.get(i);
            if (e.length() > rowLength) {
                throw new IllegalArgumentException("packing: example " + i + " has " + e.length() + " tokens, more than the row length "
                        + rowLength + " (truncate to max_length first)");
            }
            if (e.length() > 0 && e.labels()[0] != SftExample.IGNORE) {
                throw new IllegalArgumentException("packing: example " + i + " labels its first token; packed after another example, "
                        + "that example's last position would be trained to predict it");
            }
        }
        int[] order = permutation(examples.size(), mix(seed, -1));
        return new SftBatches(examples, firstFit(examples, order, rowLength), false, rowsPerBatch, rowLength, padId, seed);
    }

    private static void check(List<SftExample> examples, int perBatch, String what) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("no training examples to batch");
        }
        if (perBatch < 1) {
            throw new IllegalArgumentException(what + " must be at least 1, got " + perBatch);
        }
    }

    /** Rows of example indexes: each example, in {@code order}, goes to the first row with room for it. */
    private static int[][] firstFit(List<SftExample> examples, int[] order, int rowLength) {
        int n = examples.size();
        int size = Integer.highestOneBit(Math.max(1, n - 1)) << 1;
        int[] room = new int[2 * size]; // a max tree over the rows' free space; unused rows are empty rows
        Arrays.fill(room, size, size + n, rowLength);
        for (int node = size - 1; node >= 1; node--) {
            room[node] = Math.max(room[2 * node], room[2 * node + 1]);
        }
        List<List<Integer>> rows = new ArrayList<>();
        for (int index : order) {
            int length = Math.max(1, examples.get(index).length());
            int node = 1;
            while (node < size) {
                node = room[2 * node] >= length ? 2 * node : 2 * node + 1;
            }
            int row = node - size;
            while (rows.size() <= row) {
                rows.add(new ArrayList<>());
            }
            rows.get(row).add(index);
            room[node] -= length;
            for (node >>= 1; node >= 1; node >>= 1) {
                room[node] = Math.max(room[2 * node], room[2 * node + 1]);
            }
        }
        int[][] out = new int[rows.size()][];
        for (int r = 0; r < out.length; r++) {
            out[r] = rows.get(r).stream().mapToInt(Integer::intValue).toArray();
        }
        return out;
    }

    public boolean isPacked() {
        return rowLength > 0;
    }

    public int batchesPerEpoch() {
        return (units.length + perBatch - 1) / perBatch;
    }

    /** The most rows a batch has (the last batch of an epoch may have fewer; pairs take two rows each). */
    public int maxRows() {
        return Math.min(perBatch, units.length) * (pairs ? 2 : 1);
    }

    /** The longest row any batch has: the row length when packed, else the longest example. */
    public int maxLength() {
        if (isPacked()) {
            return rowLength;
        }
        int longest = 1;
        for (SftExample e : examples) {
            longest = Math.max(longest, e.length());
        }
        return longest;
    }

    /** Rows per epoch: the examples (padded), the packed rows, or twice the pairs. */
    public int rowsPerEpoch() {
        return units.length * (pairs ? 2 : 1);
    }

    /** Real tokens over all row slots of an epoch's batches (packed: how full the rows are). */
    public double fill() {
        long real = 0;
        for (SftExample e : examples) {
            real += e.length();
        }
        if (isPacked()) {
            return (double) real / ((long) units.length * rowLength);
        }
        long slots = 0;
        for (int step = 0; step < batchesPerEpoch(); step++) {
            SftBatch b = batch(0, step);
            slots += (long) b.B() * b.T();
        }
        return (double) real / slots;
    }

    /** Batch {@code step} (from 0) of {@code epoch} (from 0). */
    public SftBatch batch(int epoch, int step) {
        if (epoch < 0 || step < 0 || step >= batchesPerEpoch()) {
            throw new IllegalArgumentException("batch (epoch " + epoch + ", step " + step + ") does not exist: an epoch has "
                    + batchesPerEpoch() + " batches");
        }
        int[][] rows = rows(order(epoch), step);
        List<List<SftExample>> content = new ArrayList<>(rows.length);
        for (int[] row : rows) {
            List<SftExample> r = new ArrayList<>(row.length);
            for (int index : row) {
                r.add(examples.get(index));
            }
            content.add(r);
        }
        return assemble(content, rowLength, padId, isPacked());
    }

    /**
     * One padded batch of {@code examples} in the order given, one row each, right-padded to the
     * longest (validation, DPO reference log-probabilities: no shuffle, no packing).
     */
    public static SftBatch inOrder(List<SftExample> examples, int padId) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("a batch needs at least one example");
        }
        List<List<SftExample>> rows = new ArrayList<>(examples.size());
        for (SftExample e : examples) {
            rows.add(List.of(e));
        }
        return assemble(rows, 0, padId, false);
    }

    /**
     * Rows of examples as a batch: right-padded to {@code rowLength} (0: the longest row); padding
     * has mask 0, position 0 and label IGNORE; packed rows get segments (padding -1).
     */
    private static SftBatch assemble(List<List<SftExample>> rows, int rowLength, int padId, boolean packed) {
        int B = rows.size();
        int T = rowLength;
        if (T == 0) {
            for (List<SftExample> row : rows) {
                int n = 0;
                for (SftExample e : row) {
                    n += e.length();
                }
                T = Math.max(T, n);
            }
            T = Math.max(T, 1);
        }
        int[] ids = new int[B * T];
        int[] labels = new int[B * T];
        int[] mask = new int[B * T];
        int[] positions = new int[B * T];
        int[] segments = packed ? new int[B * T] : null;
        Arrays.fill(ids, padId);
        Arrays.fill(labels, SftExample.IGNORE);
        if (segments != null) {
            Arrays.fill(segments, -1);
        }
        for (int r = 0; r < B; r++) {
            int at = r * T;
            List<SftExample> row = rows.get(r);
            for (int s = 0; s < row.size(); s++) {
                SftExample e = row.get(s);
                int n = e.length();
                System.arraycopy(e.ids(), 0, ids, at, n);
                System.arraycopy(e.labels(), 0, labels, at, n);
                Arrays.fill(mask, at, at + n, 1);
                for (int t = 0; t < n; t++) {
                    positions[at + t] = t;
                }
                if (segments != null) {
                    Arrays.fill(segments, at, at + n, s);
                }
                at += n;
            }
        }
        return new SftBatch(B, T, ids, labels, mask, positions, segments);
    }

    /** The example indexes of each row of a batch (pairs: the chosen rows, then the rejected rows). */
    private int[][] rows(int[] order, int step) {
        int from = step * perBatch;
        int count = Math.min(perBatch, units.length - from);
        if (!pairs) {
            int[][] rows = new int[count][];
            for (int r = 0; r < count; r++) {
                rows[r] = units[order[from + r]];
            }
            return rows;
        }
        int[][] rows = new int[2 * count][];
        for (int r = 0; r < count; r++) {
            int[] pair = units[order[from + r]];
            rows[r] = new int[] {pair[0]};
            rows[count + r] = new int[] {pair[1]};
        }
        return rows;
    }

    /** The batches of {@code epoch} from {@code fromStep} on (to resume mid-epoch). */
    public Iterator<SftBatch> epoch(int epoch, int fromStep) {
        if (fromStep < 0 || fromStep > batchesPerEpoch()) {
            throw new IllegalArgumentException("step " + fromStep + " is outside the epoch's " + batchesPerEpoch() + " batches");
        }
        return new Iterator<>() {
            private int step = fromStep;

            @Override
            public boolean hasNext() {
                return step < batchesPerEpoch();
            }

            @Override
            public SftBatch next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return batch(epoch, step++);
            }
        };
    }

    /**
     * The examples in row {@code row} of batch ({@code epoch}, {@code step}), in row order, as indexes
     * into the list given (pairs: the index of the pair).
     */
    public int[] examplesIn(int epoch, int step, int row) {
        if (step < 0 || step >= batchesPerEpoch()) {
            throw new IllegalArgumentException("no batch " + step + " in an epoch of " + batchesPerEpoch());
        }
        int[][] rows = rows(order(epoch), step);
        if (row < 0 || row >= rows.length) {
            throw new IllegalArgumentException("no row " + row + " in batch " + step + " of " + rows.length + " rows");
        }
        int[] members = rows[row].clone();
        if (pairs) {
            members[0] %= units.length;
        }
        return members;
    }

    private synchronized int[] order(int epoch) {
        if (epoch != cachedEpoch) {
            cachedOrder = permutation(units.length, mix(seed, epoch));
            cachedEpoch = epoch;
        }
        return cachedOrder;
    }

    /** A Fisher-Yates permutation of 0..n-1 drawn with {@code java.util.Random}. */
    static int[] permutation(int n, long seed) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        Random random = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** One seed per (run seed, epoch), decorrelated by SplitMix64's finalizer. */
    static long mix(long seed, int epoch) {
        long z = seed * 0x9E3779B97F4A7C15L + epoch;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
