package io.supportlm.model.decoder;

/**
 * Keys and values of one sequence for every layer, as {@link io.supportlm.kernels.Attention}'s
 * cached decoding reads them: {@code (KVH, maxT, HS)} per layer. Made by
 * {@link DecoderModel#newCache}; filled by {@link DecoderModel#prefill} and
 * {@link DecoderModel#decode}. Holds its own inference buffers, so one model can serve several
 * caches one after another (not concurrently).
 */
public final class KvCache {
    final int maxT;
    final float[][] k, v; // (L, KVH·maxT·HS)
    int length;
    DecoderActivations acts; // inference buffers for chunks of up to acts.maxT tokens, grown on demand

    KvCache(DecoderConfig c, int maxT) {
        if (maxT <= 0 || maxT > c.maxPositions()) {
            throw new IllegalArgumentException("kv cache: capacity must be in [1, max_position_embeddings = "
                    + c.maxPositions() + "], got " + maxT);
        }
        this.maxT = maxT;
        long size = (long) c.kvWidth() * maxT;
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("kv cache: " + maxT + " positions of " + c.kvWidth() + " floats do not fit one array");
        }
        k = new float[c.numLayers()][(int) size];
        v = new float[c.numLayers()][(int) size];
    }

    /** Tokens held. */
    public int length() {
        return length;
    }

    /** The most tokens it can hold. */
    public int capacity() {
        return maxT;
    }

    /** Forgets every token (the memory is kept). */
    public void reset() {
        length = 0;
    }
}
