package io.supportlm.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ErfTest {
    @Test
    void doubleErfMatchesKnownValues() {
        assertEquals(0.5204998778130465, Erf.erf(0.5), 1e-15);
        assertEquals(0.8427007929497149, Erf.erf(1), 1e-15);
        assertEquals(-0.9953222650189527, Erf.erf(-2), 1e-15);
        assertEquals(0.9999779095030014, Erf.erf(3), 1e-15);
        assertEquals(0.0, Erf.erf(0), 0);
        assertEquals(1.0, Erf.erf(7), 0);
        assertEquals(-1.0, Erf.erf(Double.NEGATIVE_INFINITY), 0);
        assertTrue(Double.isNaN(Erf.erf(Double.NaN)));
    }

    @Test
    void doubleErfIsContinuousAcrossTheSeriesAndContinuedFractionBranches() {
        // The two methods meet at 2.5; both sides must agree with the slope erf'(x) = 2/√π e^{-x²}.
        double below = Erf.erf(Math.nextDown(2.5));
        double above = Erf.erf(2.5);
        assertEquals(below, above, 1e-15);
        assertEquals(0.999593047982555, above, 1e-15);
    }

    @Test
    void floatErfcStaysWithinAFewUlpsOfTheDoubleReference() {
        double worstAbs = 0;
        double worstRel = 0;
        for (int i = -9000; i <= 9000; i++) {
            float z = i * 1e-3f;
            double exact = 1 - Erf.erf(z);
            if (z > 2.5) {
                exact = Erf.scaledErfc((double) z) * Math.exp(-(double) z * z);
            }
            float approx = Erf.erfc(z);
            worstAbs = Math.max(worstAbs, Math.abs(approx - exact));
            worstRel = Math.max(worstRel, Math.abs(approx - exact) / exact);
            assertEquals(Erf.erf(z), Erf.erfFloat(z), 2.5e-7, "erf(" + z + ")");
        }
        assertTrue(worstAbs < 2.5e-7, "absolute error " + worstAbs);
        assertTrue(worstRel < 2e-6, "relative error " + worstRel);
        assertEquals(0f, Erf.erfc(Float.POSITIVE_INFINITY));
        assertEquals(2f, Erf.erfc(Float.NEGATIVE_INFINITY));
    }

    @Test
    void arrayErfcAgreesWithScalarIncludingTheTail() {
        float[] z = new float[Simd.LANES * 40 + 3];
        for (int i = 0; i < z.length; i++) {
            z[i] = (i - z.length / 2) * 0.02f;
        }
        z[5] = Float.NEGATIVE_INFINITY;
        z[6] = Float.POSITIVE_INFINITY;
        float[] out = new float[z.length + 1];
        Erf.erfc(z, 0, out, 1, z.length);
        for (int i = 0; i < z.length; i++) {
            float s = Erf.erfc(z[i]);
            assertEquals(s, out[i + 1], 4e-7 * Math.abs(s) + 1e-30, "erfc(" + z[i] + ")");
        }
    }
}
