package io.supportlm.kernels;

import java.util.Arrays;

/**
 * Pools a sequence of hidden states (B, T, C) into one vector per row (B, C), honouring the
 * attention mask (B, T; 1 = real token):
 * <ul>
 *   <li>{@link Mode#CLS}: the first real token (BERT's [CLS]);</li>
 *   <li>{@link Mode#MEAN}: the mean over real tokens (sentence-transformers' mean pooling);</li>
 *   <li>{@link Mode#LAST}: the last real token (decoders, where it has seen the whole text;
 *       works with left and right padding).</li>
 * </ul>
 * Backward scatters {@code dPooled} back to the tokens that were read: {@code dHidden +=}.
 */
public final class Pooling {
    private Pooling() {}

    public enum Mode {
        CLS, MEAN, LAST
    }

    public static void forward(float[] pooled, float[] hidden, int[] mask, Mode mode, int B, int T, int C) {
        Arrays.fill(pooled, 0, B * C, 0f);
        for (int b = 0; b < B; b++) {
            int po = b * C;
            if (mode == Mode.MEAN) {
                int count = 0;
                for (int t = 0; t < T; t++) {
                    if (real(mask, b * T + t)) {
                        Residual.forward(pooled, po, pooled, po, hidden, (b * T + t) * C, C);
                        count++;
                    }
                }
                float inv = count == 0 ? 0f : 1f / count;
                for (int c = 0; c < C; c++) {
                    pooled[po + c] *= inv;
                }
            } else {
                int t = pick(mask, mode, b, T);
                if (t >= 0) {
                    System.arraycopy(hidden, (b * T + t) * C, pooled, po, C);
                }
            }
        }
    }

    public static void backward(float[] dHidden, float[] dPooled, int[] mask, Mode mode, int B, int T, int C) {
        for (int b = 0; b < B; b++) {
            int po = b * C;
            if (mode == Mode.MEAN) {
                int count = 0;
                for (int t = 0; t < T; t++) {
                    count += real(mask, b * T + t) ? 1 : 0;
                }
                if (count == 0) {
                    continue;
                }
                float inv = 1f / count;
                for (int t = 0; t < T; t++) {
                    if (real(mask, b * T + t)) {
                        int ho = (b * T + t) * C;
                        for (int c = 0; c < C; c++) {
                            dHidden[ho + c] += dPooled[po + c] * inv;
                        }
                    }
                }
            } else {
                int t = pick(mask, mode, b, T);
                if (t >= 0) {
                    Residual.forward(dHidden, (b * T + t) * C, dHidden, (b * T + t) * C, dPooled, po, C);
                }
            }
        }
    }

    /** The token a CLS or LAST pooling reads for row b, or -1 for a row with no real token. */
    static int pick(int[] mask, Mode mode, int b, int T) {
        if (mode == Mode.CLS) {
            for (int t = 0; t < T; t++) {
                if (real(mask, b * T + t)) {
                    return t;
                }
            }
        } else {
            for (int t = T - 1; t >= 0; t--) {
                if (real(mask, b * T + t)) {
                    return t;
                }
            }
        }
        return -1;
    }

    private static boolean real(int[] mask, int i) {
        return mask == null || mask[i] != 0;
    }
}
