package io.supportlm.eval;

import static io.supportlm.eval.ClassificationMetrics.MISSING_GOLD;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ClassificationMetricsTest {
    private static final double EPS = 1e-12;
    private static final TaskLabels FIVE = new TaskLabels("intent", List.of("a", "b", "c", "d", "e"));

    /*
     * Worked example. Rows with gold: y_true = [a a a b b c c], y_pred = [a a b b d a b]; the last row has no gold
     * and its prediction (c) must not count. c is never predicted, d is never gold, e is in neither.
     *   a: tp 2, predicted 3, support 3 -> P 2/3, R 2/3, F1 2/3
     *   b: tp 1, predicted 3, support 2 -> P 1/3, R 1/2, F1 2/(2+3) = 0.4
     *   c: tp 0, predicted 0, support 2 -> P 0 (zero_division), R 0, F1 0
     *   d: tp 0, predicted 1, support 0 -> P 0, R 0 (zero_division), F1 0
     * sklearn (labels=None, zero_division=0) averages over {a, b, c, d}:
     *   accuracy 3/7; macro P (2/3 + 1/3) / 4 = 0.25; macro R (2/3 + 1/2) / 4 = 7/24;
     *   macro F1 (2/3 + 0.4) / 4 = 4/15; weighted F1 (3·2/3 + 2·0.4) / 7 = 0.4.
     */
    private static final int[] GOLD = {0, 0, 0, 1, 1, 2, 2, MISSING_GOLD};
    private static final int[] PRED = {0, 0, 1, 1, 3, 0, 1, 2};

    @Test
    void matchesScikitLearnOnAWorkedExample() {
        var m = ClassificationMetrics.compute(FIVE, GOLD, PRED);
        assertEquals(7, m.evaluated());
        assertEquals(1, m.missingGold());
        assertEquals(3.0 / 7, m.accuracy(), EPS);
        assertEquals(0.25, m.macroPrecision(), EPS);
        assertEquals(7.0 / 24, m.macroRecall(), EPS);
        assertEquals(4.0 / 15, m.macroF1(), EPS);
        assertEquals(0.4, m.weightedF1(), EPS);

        var a = m.perClass().get(0);
        assertEquals(2.0 / 3, a.precision(), EPS);
        assertEquals(2.0 / 3, a.recall(), EPS);
        assertEquals(2.0 / 3, a.f1(), EPS);
        assertEquals(3, a.support());
        var b = m.perClass().get(1);
        assertEquals(1.0 / 3, b.precision(), EPS);
        assertEquals(0.5, b.recall(), EPS);
        assertEquals(0.4, b.f1(), EPS);
        assertEquals(3, b.predicted());
    }

    @Test
    void neverPredictedClassHasZeroPrecisionAndCountsInMacro() {
        var c = ClassificationMetrics.compute(FIVE, GOLD, PRED).perClass().get(2);
        assertEquals(0, c.predicted());
        assertEquals(2, c.support());
        assertEquals(0.0, c.precision());
        assertEquals(0.0, c.f1());
        assertTrue(c.averaged());
    }

    @Test
    void classOnlyPredictedCountsInMacroButNotInWeighted() {
        var m = ClassificationMetrics.compute(FIVE, GOLD, PRED);
        var d = m.perClass().get(3);
        assertEquals(0, d.support());
        assertEquals(1, d.predicted());
        assertEquals(0.0, d.recall());
        assertTrue(d.averaged());
        var e = m.perClass().get(4);
        assertFalse(e.averaged(), "a class in neither gold nor predictions stays out of the macro average");
    }

    @Test
    void confusionMatrixCountsGoldByPredictedAndSkipsMissingGold() {
        var m = ClassificationMetrics.compute(FIVE, GOLD, PRED);
        assertArrayEquals(new int[] {2, 1, 0, 0, 0}, m.confusion()[0]);
        assertArrayEquals(new int[] {0, 1, 0, 1, 0}, m.confusion()[1]);
        assertArrayEquals(new int[] {1, 1, 0, 0, 0}, m.confusion()[2]);
        assertArrayEquals(new int[] {0, 0, 0, 0, 0}, m.confusion()[3]);
    }

    @Test
    void singleClassTaskScoresOne() {
        var only = new TaskLabels("spam", List.of("yes"));
        var m = ClassificationMetrics.compute(only, new int[] {0, 0, 0}, new int[] {0, 0, 0},
                new int[][] {{0}, {0}, {0}}, new int[] {1, 3});
        assertEquals(1.0, m.accuracy());
        assertEquals(1.0, m.macroF1());
        assertEquals(1.0, m.weightedF1());
        assertEquals(1.0, m.topKAccuracy().get(1));
        assertEquals(1.0, m.topKAccuracy().get(3), "k beyond the class count means all classes");
    }

    @Test
    void topKAccuracyCountsGoldWithinTheFirstKRanked() {
        var four = new TaskLabels("t", List.of("w", "x", "y", "z"));
        int[] gold = {0, 1, 2, 3};
        int[][] ranked = {
            {0, 1, 2}, // hit at 1
            {0, 1, 2}, // hit at 2
            {3, 1, 2}, // hit at 3
            {0, 1, 2}, // miss
        };
        int[] predicted = {0, 0, 3, 0};
        var m = ClassificationMetrics.compute(four, gold, predicted, ranked, new int[] {3, 1, 2});
        assertEquals(List.of(1, 2, 3), List.copyOf(m.topKAccuracy().keySet()));
        assertEquals(0.25, m.topKAccuracy().get(1), EPS);
        assertEquals(0.5, m.topKAccuracy().get(2), EPS);
        assertEquals(0.75, m.topKAccuracy().get(3), EPS);
        assertEquals(m.accuracy(), m.topKAccuracy().get(1), EPS);
    }

    @Test
    void tiesInRankingGoToTheLowerIndexLikeArgmax() {
        float[] scores = {0.1f, 0.4f, 0.4f, 0.4f, 0.05f};
        assertArrayEquals(new int[] {1, 2}, TopK.rank(scores, 2));
        assertArrayEquals(new int[] {1, 2, 3, 0, 4}, TopK.rank(scores, 9));
        assertArrayEquals(new int[] {1}, TopK.rank(scores, 1));
        // Gold 3 is tied with the top two scores but falls just past k = 2.
        var t = new TaskLabels("t", List.of("a", "b", "c", "d", "e"));
        var m = ClassificationMetrics.compute(t, new int[] {3}, new int[] {1},
                new int[][] {TopK.rank(scores, 3)}, new int[] {2, 3});
        assertEquals(0.0, m.topKAccuracy().get(2));
        assertEquals(1.0, m.topKAccuracy().get(3));
    }

    @Test
    void rankSortsDistinctScoresDescending() {
        float[] scores = {3f, -1f, 7f, 0f, 5f, 2f};
        assertArrayEquals(new int[] {2, 4, 0, 5}, TopK.rank(scores, 4));
    }

    @Test
    void mismatchedLengthsAreRejected() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> ClassificationMetrics.compute(FIVE, new int[] {0, 1}, new int[] {0}));
        assertTrue(e.getMessage().contains("2 gold labels but 1 predictions"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ClassificationMetrics.compute(FIVE, new int[] {0},
                new int[] {0}, new int[][] {{0}, {1}}, new int[] {1}));
    }

    @Test
    void labelIndexOutOfRangeIsRejectedWithTheRow() {
        var gold = assertThrows(IllegalArgumentException.class,
                () -> ClassificationMetrics.compute(FIVE, new int[] {0, 5}, new int[] {0, 0}));
        assertTrue(gold.getMessage().contains("row 1: gold label index 5 is outside [0, 5)"), gold.getMessage());
        var pred = assertThrows(IllegalArgumentException.class,
                () -> ClassificationMetrics.compute(FIVE, new int[] {MISSING_GOLD}, new int[] {-2}));
        assertTrue(pred.getMessage().contains("predicted label index -2"), pred.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> ClassificationMetrics.compute(FIVE, new int[] {-3}, new int[] {0}));
    }

    @Test
    void badRankingsAndKsAreRejected() {
        int[] g = {0};
        int[] p = {0};
        assertThrows(IllegalArgumentException.class,
                () -> ClassificationMetrics.compute(FIVE, g, p, new int[][] {{0, 1}}, new int[] {3}));
        assertThrows(IllegalArgumentException.class,
                () -> ClassificationMetrics.compute(FIVE, g, p, new int[][] {{0, 0, 1}}, new int[] {3}));
        assertThrows(IllegalArgumentException.class,
                () -> ClassificationMetrics.compute(FIVE, g, p, new int[][] {{0}}, new int[] {0}));
        assertThrows(IllegalArgumentException.class,
                () -> ClassificationMetrics.compute(FIVE, g, p, null, new int[] {1}));
        assertThrows(IllegalArgumentException.class, () -> TopK.rank(new float[] {1f, Float.NaN}, 1));
    }

    @Test
    void taskWithoutAnyGoldLabelIsRejected() {
        var e = assertThrows(IllegalArgumentException.class, () -> ClassificationMetrics.compute(FIVE,
                new int[] {MISSING_GOLD, MISSING_GOLD}, new int[] {0, 1}));
        assertTrue(e.getMessage().contains("no row has a gold label"), e.getMessage());
    }

    @Test
    void labelNamesMustBeDistinct() {
        assertThrows(IllegalArgumentException.class, () -> new TaskLabels("t", List.of("a", "a")));
        assertThrows(IllegalArgumentException.class, () -> new TaskLabels("t", List.of()));
    }
}
