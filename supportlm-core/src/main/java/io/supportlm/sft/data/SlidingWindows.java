package io.supportlm.sft.data;

import io.supportlm.sft.SftExample;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@link SftDataConfig.Truncation#SLIDING_WINDOW}: a long tokenized conversation becomes windows
 * of {@code maxLength} tokens starting every {@code stride} tokens, the last one ending at the
 * conversation's end. A window labels only the tokens no earlier window reached (the overlap is
 * context), so every assistant token is trained exactly once, with at least
 * {@code maxLength - stride} tokens before it. Later windows start mid-conversation, without the
 * system prompt. Windows left without any labelled token carry no loss and are not returned;
 * {@link Split#unlabelledWindows()} counts them.
 */
final class SlidingWindows {
    private SlidingWindows() {}

    record Split(List<SftExample> windows, int unlabelledWindows) {}

    static Split split(SftExample whole, int maxLength, int stride) {
        int n = whole.length();
        if (n <= maxLength) {
            return new Split(List.of(whole), 0);
        }
        List<Integer> starts = new ArrayList<>();
        for (int s = 0; s + maxLength < n; s += stride) {
            starts.add(s);
        }
        starts.add(n - maxLength);
        List<SftExample> windows = new ArrayList<>();
        int unlabelled = 0;
        int seen = 0; // tokens [0, seen) were in an earlier window
        for (int start : starts) {
            int end = start + maxLength;
            int[] ids = Arrays.copyOfRange(whole.ids(), start, end);
            int[] labels = Arrays.copyOfRange(whole.labels(), start, end);
            Arrays.fill(labels, 0, Math.max(1, seen - start), SftExample.IGNORE);
            seen = end;
            SftExample w = new SftExample(ids, labels);
            if (w.trainableTokens() == 0) {
                unlabelled++;
            } else {
                windows.add(w);
            }
        }
        return new Split(windows, unlabelled);
    }
}
