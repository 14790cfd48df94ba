package io.supportlm.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** The vector shape the kernels use, and the switch that turns vectors off. */
public final class Simd {
    private Simd() {}

    /** The widest float vector this CPU supports (16 lanes with AVX-512, 8 with AVX2). */
    public static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /** Lanes per float vector. */
    public static final int LANES = F.length();

    /** False when {@code -Dsupportlm.vector=false}: every kernel then takes its scalar path. */
    public static final boolean ENABLED = !"false".equals(System.getProperty("supportlm.vector"));
}
