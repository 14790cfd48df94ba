package io.supportlm.kernels;

import io.supportlm.tensor.Parallel;

/**
 * How the kernels of this package split their loops over threads. Both splits are fixed functions
 * of the problem size and the thread count, and each element is computed by the same code whatever
 * the split, so results are bit-identical for any number of threads.
 */
final class Work {
    private Work() {}

    /** Below this many elements a loop runs on the calling thread: the hand-off costs more. */
    static final int MIN_PARALLEL = 1 << 15;

    /**
     * Runs {@code body} over {@code [0, n)} for an element-wise kernel. Chunks start at multiples of
     * {@link Simd#LANES}, so the same elements take the vector path and only the global tail takes
     * the scalar path, whatever the thread count.
     */
    static void elementwise(int n, Parallel.RangeBody body) {
        if (n < MIN_PARALLEL || Parallel.threads() == 1) {
            if (n > 0) {
                body.run(0, n);
            }
            return;
        }
        int lanes = Simd.LANES;
        int blocks = (n + lanes - 1) / lanes;
        Parallel.forRange(blocks, (b0, b1) -> body.run(b0 * lanes, Math.min(n, b1 * lanes)));
    }

    /**
     * Like {@link #elementwise(int, Parallel.RangeBody)} for a loop over {@code n} columns whose total
     * work is {@code work} elements (for example a reduction over all rows per channel).
     */
    static void columns(int n, long work, Parallel.RangeBody body) {
        if (work < MIN_PARALLEL || Parallel.threads() == 1 || n <= Simd.LANES) {
            if (n > 0) {
                body.run(0, n);
            }
            return;
        }
        int lanes = Simd.LANES;
        int blocks = (n + lanes - 1) / lanes;
        Parallel.forRange(blocks, (b0, b1) -> body.run(b0 * lanes, Math.min(n, b1 * lanes)));
    }

    /** Runs {@code body} over rows {@code [0, rows)}, in parallel when the work is big enough. */
    static void rows(int rows, int rowLength, Parallel.RangeBody body) {
        if ((long) rows * rowLength < MIN_PARALLEL || Parallel.threads() == 1) {
            if (rows > 0) {
                body.run(0, rows);
            }
            return;
        }
        Parallel.forRange(rows, body);
    }

    /** Throws unless {@code [off, off + n)} lies inside {@code a}. */
    static void checkRange(String name, float[] a, int off, long n) {
        if (off < 0 || n < 0 || off + n > a.length) {
            throw new IllegalArgumentException(name + ": needs elements [" + off + ", " + (off + n)
                    + ") but the array has " + a.length);
        }
    }

    /** Throws unless {@code [off, off + n)} lies inside {@code a}. */
    static void checkRange(String name, int[] a, int off, long n) {
        if (off < 0 || n < 0 || off + n > a.length) {
            throw new IllegalArgumentException(name + ": needs elements [" + off + ", " + (off + n)
                    + ") but the array has " + a.length);
        }
    }
}
