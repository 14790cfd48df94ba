package io.supportlm.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector shape the kernels use, the switch that turns vectors off, and the vector functions
 * whose results must not depend on how the JIT happens to run them.
 *
 * <p>Why {@link #exp}, {@link #tanh} and {@link #sum} exist: {@code lanewise(EXP)} and
 * {@code lanewise(TANH)} run Intel's SVML once C2 has compiled the caller but {@code Math.exp}
 * per lane before that, and a float {@code reduceLanes(ADD)} has an unspecified order; both give
 * results that change in the last bits with the JIT's state, so two identical training runs would
 * log different losses. These versions use only IEEE add, multiply, fused multiply-add and lane
 * shuffles, which every execution mode computes identically.
 */
public final class Simd {
    private Simd() {}

    /** The widest float vector this CPU supports (16 lanes with AVX-512, 8 with AVX2). */
    public static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /** Lanes per float vector. */
    public static final int LANES = F.length();

    /** False when {@code -Dsupportlm.vector=false}: every kernel then takes its scalar path. */
    public static final boolean ENABLED = !"false".equals(System.getProperty("supportlm.vector"));

    /** Shuffles that swap lanes i and i ^ d, for d = LANES/2, …, 1: a fixed-order tree reduction. */
    private static final VectorShuffle<Float>[] SWAPS = swaps();

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] swaps() {
        int steps = Integer.numberOfTrailingZeros(LANES);
        VectorShuffle<Float>[] s = new VectorShuffle[steps];
        for (int k = 0; k < steps; k++) {
            int d = LANES >> (k + 1);
            s[k] = VectorShuffle.fromOp(F, i -> i ^ d);
        }
        return s;
    }

    /** The sum of all lanes, added in a fixed tree order. */
    public static float sum(FloatVector v) {
        for (VectorShuffle<Float> s : SWAPS) {
            v = v.add(v.rearrange(s));
        }
        return v.lane(0);
    }

    // Cephes' expf: x = n·ln2 + r with |r| ≤ ln2/2, a degree-6 polynomial for e^r, times 2^n.
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float EXP_HI = 88.3762626647949f;
    private static final float ROUNDER = 12582912f; // 1.5·2^23
    private static final float EXP_LO = -87.3365447505531f; // below: the result is 0 (e^x < the smallest normal float)

    /** e^x per lane, relative error about 2e-7; 0 below -87.34, +∞ above 88.38, NaN stays NaN. */
    public static FloatVector exp(FloatVector x) {
        VectorMask<Float> under = x.compare(VectorOperators.LT, EXP_LO);
        VectorMask<Float> over = x.compare(VectorOperators.GT, EXP_HI);
        FloatVector xc = x.max(EXP_LO).min(EXP_HI);
        // n = round(x·log2 e): adding and removing 1.5·2^23 rounds to an integer in IEEE arithmetic.
        FloatVector n = xc.mul(LOG2E).add(ROUNDER).sub(ROUNDER);
        FloatVector r = n.mul(-LN2_HI).add(xc);
        r = n.mul(-LN2_LO).add(r);
        FloatVector p = FloatVector.broadcast(F, 1.9875691500e-4f);
        p = p.fma(r, FloatVector.broadcast(F, 1.3981999507e-3f));
        p = p.fma(r, FloatVector.broadcast(F, 8.3334519073e-3f));
        p = p.fma(r, FloatVector.broadcast(F, 4.1665795894e-2f));
        p = p.fma(r, FloatVector.broadcast(F, 1.6666665459e-1f));
        p = p.fma(r, FloatVector.broadcast(F, 5.0000001201e-1f));
        p = p.mul(r.mul(r)).add(r).add(1f);
        IntVector bits = ((IntVector) n.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
        FloatVector scale = bits.reinterpretAsFloats();
        FloatVector result = p.mul(scale);
        result = result.blend(0f, under);
        return result.blend(Float.POSITIVE_INFINITY, over);
    }

    /**
     * tanh per lane, as Cephes' {@code tanhf}: an odd polynomial for |x| < 0.625 (where
     * {@code 1 - 2/(e^{2x}+1)} would cancel), else {@code sign(x)·(1 - 2/(e^{2|x|} + 1))} from
     * {@link #exp}; exactly ±1 where f32 rounding makes it so (|x| > 9.0109).
     */
    public static FloatVector tanh(FloatVector x) {
        FloatVector a = x.abs().min(10f);
        FloatVector big = FloatVector.broadcast(F, 1f).sub(FloatVector.broadcast(F, 2f).div(exp(a.mul(2f)).add(1f)));
        // Past 9.0109, 1 - tanh(x) < half an ulp below 1: tanh rounds to exactly 1 in f32.
        big = big.blend(1f, x.abs().compare(VectorOperators.GT, 9.0109f));
        big = big.blend(big.neg(), x.compare(VectorOperators.LT, 0f));
        FloatVector z = x.mul(x);
        FloatVector p = FloatVector.broadcast(F, -5.70498872745e-3f);
        p = p.fma(z, FloatVector.broadcast(F, 2.06390887954e-2f));
        p = p.fma(z, FloatVector.broadcast(F, -5.37397155531e-2f));
        p = p.fma(z, FloatVector.broadcast(F, 1.33314422036e-1f));
        p = p.fma(z, FloatVector.broadcast(F, -3.33332819422e-1f));
        FloatVector small = p.mul(z).mul(x).add(x);
        return big.blend(small, x.abs().compare(VectorOperators.LT, 0.625f));
    }
}
