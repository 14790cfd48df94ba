package io.supportlm.eval.reply;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Expected values from rouge-score's own tests ({@code rouge/rouge_scorer_test.py} in
 * github.com/google-research/google-research): the small cases exactly, and the two lines of its
 * {@code testdata/target.txt} / {@code prediction.txt} whose scores were taken from ROUGE-1.5.5, to 5 places.
 */
class RougeLTest {
    // rouge/testdata/target.txt and prediction.txt, lines 1 and 2 (random strings made for the test).
    private static final String TARGET_0 = "ZfbCUIUuePaiLVUlCaUXxkpu XPeWing tUHfPMuZ',-Xd Y BrUgVJing M-HV.-DgdDaY.rFDJCRing Ht-LM "
            + "EKBDXkME,yz'RBr q'wtion wIojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxer tKM L\n";
    private static final String TARGET_1 = "KsJdPByEtAor fE-Qg Dpdbring cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMtion psing sbKao Q m "
            + "qiing LMmer HqqLFXe,XPY,J XsurkMer ,ed nB'wH'bWVHjWFEing tQ.saefZwJtKrTlixYpMMsJing UCAPwNHeYVjDing c T "
            + "BUySKtion gMPfJpwGw p'NvxAoping eu pBwMBKV'I DNxqelhu,PHPxDEq,mtion SN\n";
    private static final String PREDICTION_0 = "rFDJCRtion Ht-LM EKtDXkME,yz'RBr q'wer wrojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxi\n";
    private static final String PREDICTION_1 = "n cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMer pstion sbKao Q m qier LMmed HqqLFXe,XPY,J "
            + "XsurkMeo ,ed nB'wH'bWVHjWFEer tQ.saefZwJtKrTlixYpMMNJtion UCAPwNHeYVjD\n";

    @Test
    void consecutiveAndNonConsecutiveMatchesScoreAsRougeScore() {
        RougeL.Score consecutive = RougeL.score("testing one two", "testing one");
        assertEquals(1, consecutive.precision(), 1e-12);
        assertEquals(2.0 / 3, consecutive.recall(), 1e-12);
        assertEquals(4.0 / 5, consecutive.f1(), 1e-12);
        RougeL.Score gap = RougeL.score("testing one two", "testing two");
        assertEquals(1, gap.precision(), 1e-12);
        assertEquals(2.0 / 3, gap.recall(), 1e-12);
        assertEquals(4.0 / 5, gap.f1(), 1e-12);
    }

    @Test
    void emptyPredictionOrAllPunctuationScoresZero() {
        assertEquals(RougeL.Score.ZERO, RougeL.score("testing one two", ""));
        assertEquals(RougeL.Score.ZERO, RougeL.score("", "w1"));
        assertEquals(RougeL.Score.ZERO, RougeL.score("w1 w2 w3 w4 w5", "/"));
    }

    @Test
    void matchesRouge155OnRougeScoreTestData() {
        RougeL.Score first = RougeL.score(TARGET_0, PREDICTION_0);
        assertEquals(0.40741, first.recall(), 5e-6);
        assertEquals(0.68750, first.precision(), 5e-6);
        assertEquals(0.51163, first.f1(), 5e-6);
        RougeL.Score second = RougeL.score(TARGET_1, PREDICTION_1);
        assertEquals(0.40476, second.recall(), 5e-6);
        assertEquals(0.65385, second.precision(), 5e-6);
        assertEquals(0.50000, second.f1(), 5e-6);
    }

    @Test
    void tokenizerLowercasesAndTreatsEveryNonAlphanumericRunAsASpace() {
        assertEquals(List.of("it", "s", "order", "12", "345", "caf"), RougeL.tokenize("It's ORDER #12-345, café"));
    }

    @Test
    void longestCommonSubsequenceIsRougeScoresTableExample() {
        // rouge_scorer_test.testLcsTable: ref [1..5], candidate [2, 5, 3, 4] share 3 tokens in order.
        assertEquals(3, RougeL.lcsLength(List.of("1", "2", "3", "4", "5"), List.of("2", "5", "3", "4")));
        assertEquals(0, RougeL.lcsLength(List.of("1", "2", "3", "4", "5"), List.of("8", "9")));
    }
}
