package io.supportlm.sft;

/**
 * B rows of T tokens for one training step, flattened row-major (all arrays B·T):
 * <ul>
 *   <li>{@code ids}: token ids (padding positions hold the pad id, any value works);</li>
 *   <li>{@code labels}: as in {@link SftExample}, {@link SftExample#IGNORE} on padding;</li>
 *   <li>{@code mask}: 1 for real tokens, 0 for padding;</li>
 *   <li>{@code positions}: rotary position of each token, restarting at 0 for each example packed
 *       into a row;</li>
 *   <li>{@code segments}: for packed rows, which example each token belongs to (0, 1, 2… within a
 *       row), so attention stays within one example; null when every row holds one example.</li>
 * </ul>
 */
public record SftBatch(int B, int T, int[] ids, int[] labels, int[] mask, int[] positions, int[] segments) {
    public SftBatch {
        int n = B * T;
        if (B <= 0 || T <= 0) {
            throw new IllegalArgumentException("sft batch: B and T must be positive, got " + B + "×" + T);
        }
        check("ids", ids, n);
        check("labels", labels, n);
        check("mask", mask, n);
        check("positions", positions, n);
        if (segments != null) {
            check("segments", segments, n);
        }
    }

    private static void check(String name, int[] a, int n) {
        if (a == null || a.length != n) {
            throw new IllegalArgumentException("sft batch: " + name + " must hold B·T = " + n + " values, got "
                    + (a == null ? "null" : a.length));
        }
    }
}
