package io.supportlm.kernels;

import static io.supportlm.kernels.Simd.F;
import static io.supportlm.kernels.Simd.LANES;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Inverted dropout: {@code out[i] = keep(i) ? inp[i] / (1 − p) : 0}; backward
 * {@code dInp[i] += keep(i) ? dOut[i] / (1 − p) : 0}.
 *
 * <p>The mask is not stored: keep(i) is a pure function of (seed, i), recomputed by backward from
 * the same seed. That costs a few integer operations per element instead of a mask buffer the size
 * of the activation, and makes the mask independent of threads and vector width. The function is
 * a counter-based hash: the seed is expanded by SplitMix64's finalizer into two 32-bit keys
 * k0, k1, and h(i) = fmix32(fmix32(i + k0) ^ k1) with MurmurHash3's 32-bit finalizer fmix32
 * (both bijective avalanche mixers); an element is dropped when the top 24 bits of h(i) fall below
 * p·2^24. Use a different seed for every call site and step ({@link #seed(long, long, long)}).
 *
 * <p>p = 0 copies (forward) or adds (backward) unchanged.
 */
public final class Dropout {
    private Dropout() {}

    private static final VectorSpecies<Integer> INTS = F.vectorShape().withLanes(int.class);

    /** The seed for one dropout site at one training step, derived from the run's seed. */
    public static long seed(long runSeed, long step, long site) {
        return splitMix64(splitMix64(splitMix64(runSeed) ^ step) + site);
    }

    /** out[i] = dropout(inp[i]) for i in [0, n). {@code out} may be {@code inp}. */
    public static void forward(float[] out, int outOff, float[] inp, int inpOff, int n, float p, long seed) {
        Work.checkRange("dropout out", out, outOff, n);
        Work.checkRange("dropout inp", inp, inpOff, n);
        int threshold = threshold(p);
        float scale = 1 / (1 - p);
        long key = splitMix64(seed);
        int k0 = (int) key;
        int k1 = (int) (key >>> 32);
        if (threshold == 0) {
            System.arraycopy(inp, inpOff, out, outOff, n);
            return;
        }
        Work.elementwise(n, (from, to) -> {
            if (Simd.ENABLED) {
                applyVector(out, outOff, inp, inpOff, false, from, to, threshold, scale, k0, k1);
            } else {
                applyRange(out, outOff, inp, inpOff, false, from, to, threshold, scale, k0, k1);
            }
        });
    }

    /** dInp[i] += dropout mask(i) · dOut[i] / (1 − p), the mask regenerated from {@code seed}. */
    public static void backward(float[] dInp, int dInpOff, float[] dOut, int dOutOff, int n, float p, long seed) {
        Work.checkRange("dropout dInp", dInp, dInpOff, n);
        Work.checkRange("dropout dOut", dOut, dOutOff, n);
        int threshold = threshold(p);
        float scale = 1 / (1 - p);
        long key = splitMix64(seed);
        int k0 = (int) key;
        int k1 = (int) (key >>> 32);
        Work.elementwise(n, (from, to) -> {
            if (Simd.ENABLED) {
                applyVector(dInp, dInpOff, dOut, dOutOff, true, from, to, threshold, scale, k0, k1);
            } else {
                applyRange(dInp, dInpOff, dOut, dOutOff, true, from, to, threshold, scale, k0, k1);
            }
        });
    }

    /** The scalar oracle of {@link #forward}, single-threaded. */
    public static void forwardScalar(float[] out, int outOff, float[] inp, int inpOff, int n, float p, long seed) {
        Work.checkRange("dropout out", out, outOff, n);
        Work.checkRange("dropout inp", inp, inpOff, n);
        long key = splitMix64(seed);
        applyRange(out, outOff, inp, inpOff, false, 0, n, threshold(p), 1 / (1 - p), (int) key, (int) (key >>> 32));
    }

    /** The scalar oracle of {@link #backward}, single-threaded. */
    public static void backwardScalar(float[] dInp, int dInpOff, float[] dOut, int dOutOff, int n, float p, long seed) {
        Work.checkRange("dropout dInp", dInp, dInpOff, n);
        Work.checkRange("dropout dOut", dOut, dOutOff, n);
        long key = splitMix64(seed);
        applyRange(dInp, dInpOff, dOut, dOutOff, true, 0, n, threshold(p), 1 / (1 - p), (int) key, (int) (key >>> 32));
    }

    /** True when element i is kept under (p, seed): the mask forward and backward apply. */
    public static boolean keeps(long seed, int i, float p) {
        long key = splitMix64(seed);
        return (hash(i, (int) key, (int) (key >>> 32)) >>> 8) >= threshold(p);
    }

    private static int threshold(float p) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        }
        return Math.round(p * (1 << 24));
    }

    /** SplitMix64's output function (Steele, Lea and Flood, OOPSLA 2014) applied to z + golden gamma. */
    static long splitMix64(long z) {
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static int fmix32(int h) {
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        h *= 0xC2B2AE35;
        return h ^ (h >>> 16);
    }

    private static int hash(int i, int k0, int k1) {
        return fmix32(fmix32(i + k0) ^ k1);
    }

    private static IntVector fmix32(IntVector h) {
        h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 16)).mul(0x85EBCA6B);
        h = h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 13)).mul(0xC2B2AE35);
        return h.lanewise(VectorOperators.XOR, h.lanewise(VectorOperators.LSHR, 16));
    }

    /** dst = mask · src · scale, or dst += that when {@code accumulate}. */
    private static void applyRange(float[] dst, int dstOff, float[] src, int srcOff, boolean accumulate,
                                   int from, int to, int threshold, float scale, int k0, int k1) {
        for (int i = from; i < to; i++) {
            boolean keep = (hash(i, k0, k1) >>> 8) >= threshold;
            float v = keep ? src[srcOff + i] * scale : 0f;
            dst[dstOff + i] = accumulate ? dst[dstOff + i] + v : v;
        }
    }

    private static void applyVector(float[] dst, int dstOff, float[] src, int srcOff, boolean accumulate,
                                    int from, int to, int threshold, float scale, int k0, int k1) {
        IntVector iota = IntVector.zero(INTS).addIndex(1);
        FloatVector zero = FloatVector.zero(F);
        int i = from;
        for (; i + LANES <= to; i += LANES) {
            IntVector h = fmix32(fmix32(iota.add(i + k0)).lanewise(VectorOperators.XOR, k1));
            VectorMask<Float> keep = h.lanewise(VectorOperators.LSHR, 8).compare(VectorOperators.GE, threshold).cast(F);
            FloatVector v = zero.blend(FloatVector.fromArray(F, src, srcOff + i).mul(scale), keep);
            if (accumulate) {
                v = FloatVector.fromArray(F, dst, dstOff + i).add(v);
            }
            v.intoArray(dst, dstOff + i);
        }
        applyRange(dst, dstOff, src, srcOff, accumulate, i, to, threshold, scale, k0, k1);
    }
}
