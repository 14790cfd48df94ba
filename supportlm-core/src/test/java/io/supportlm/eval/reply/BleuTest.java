package io.supportlm.eval.reply;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.supportlm.eval.reply.Bleu.Settings;
import io.supportlm.eval.reply.Bleu.Smoothing;
import io.supportlm.eval.reply.Bleu.Tokenize;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The expected values are sacreBLEU 2.x's own unit tests (github.com/mjpost/sacrebleu,
 * {@code test/test_bleu.py} and {@code test/test_sentence_bleu.py}), with their tolerances.
 */
class BleuTest {
    private static final double EPSILON = 1e-8;

    // sacreBLEU's README example.
    private static final List<List<String>> REFS = List.of(
            List.of("The dog bit the man.", "It was not unexpected.", "The man bit him first."),
            List.of("The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."));
    private static final List<String> HYPS = List.of("The dog bit the man.", "It wasn't surprising.", "The man had just bitten him.");

    /** {@code sacrebleu.raw_corpus_bleu(hyps, refs, v)}: no tokenization, floor smoothing, effective order. */
    private static Settings raw(double floor) {
        return new Settings(Tokenize.NONE, false, Smoothing.FLOOR, floor, true);
    }

    @Test
    void corpusBleuMatchesSacrebleuDefaults() {
        assertEquals(48.530827, Bleu.corpus(HYPS, REFS).score(), EPSILON);
        assertEquals(48.530827, Bleu.corpus(HYPS, REFS, Settings.CORPUS.withSmoothing(Smoothing.NONE, Double.NaN)).score(), EPSILON);
    }

    @Test
    void corpusBleuWithoutTokenizationMatchesSacrebleu() {
        assertEquals(49.1919566, Bleu.corpus(HYPS, REFS, Settings.CORPUS.withTokenize(Tokenize.NONE)).score(), EPSILON);
    }

    @Test
    void emptyHypothesesAreKeptAndScoreZero() {
        assertEquals(0.0, Bleu.corpus(List.of("", "", ""), REFS).score(), 0.0);
    }

    @Test
    void rawCorpusBleuMatchesSacrebleu() {
        assertEquals(0.0, Bleu.corpus(List.of("this is a test", "another test"), List.of(List.of("ref1", "ref2")), raw(.01)).score() / 100, EPSILON);
        assertEquals(1.0, Bleu.corpus(List.of("this is a test"), List.of(List.of("this is a test")), raw(.01)).score() / 100, EPSILON);
        assertEquals(0.223606797749979, Bleu.corpus(List.of("this is a fest"), List.of(List.of("this is a test")), raw(.01)).score() / 100, EPSILON);
    }

    @Test
    void effectiveOrderMatchesSacrebleu() {
        assertEquals(0.3678794411714425, Bleu.corpus(List.of("test"), List.of(List.of("a test")), raw(.01)).score() / 100, EPSILON);
        assertEquals(1.0, Bleu.corpus(List.of("a test"), List.of(List.of("a test")), raw(.01)).score() / 100, EPSILON);
        assertEquals(0.03218297948685433, Bleu.corpus(List.of("a little test"), List.of(List.of("a test")), raw(.01)).score() / 100, EPSILON);
    }

    @Test
    void statisticsMatchSacrebleu() {
        Bleu.Score s = Bleu.corpus(List.of("am I am a character sequence"), List.of(List.of("I am a symbol string sequence a a")), raw(.01));
        assertArrayEquals(new int[] {4, 2, 1, 0}, s.correct());
        assertArrayEquals(new int[] {6, 5, 4, 3}, s.total());
    }

    @Test
    void floorOffsetMatchesSacrebleu() {
        List<String> hyp = List.of("am I am a character sequence");
        List<List<String>> ref = List.of(List.of("I am a symbol string sequence a a"));
        assertEquals(0.0, Bleu.corpus(hyp, ref, raw(0.0)).score() / 100, EPSILON);
        assertEquals(0.1555722182, Bleu.corpus(hyp, ref, raw(Double.NaN)).score() / 100, EPSILON); // default floor 0.1
    }

    @Test
    void scoreFromStatisticsMatchesSacrebleu() {
        Settings none = Settings.CORPUS.withSmoothing(Smoothing.NONE, Double.NaN);
        assertEquals(0.8375922397, Bleu.compute(new int[] {9, 7, 5, 3}, new int[] {10, 8, 6, 4}, 11, 11, none).score() / 100, EPSILON);
    }

    @Test
    void degenerateStatisticsScoreExactlyZero() {
        Settings floor = Settings.CORPUS;
        assertEquals(0.0, Bleu.compute(new int[] {0, 0, 0, 0}, new int[] {4, 4, 2, 1}, 0, 1, floor.withSmoothing(Smoothing.FLOOR, 0)).score());
        assertEquals(0.0, Bleu.compute(new int[] {0, 0, 0, 0}, new int[] {10, 11, 12, 0}, 14, 10, floor.withSmoothing(Smoothing.FLOOR, 0)).score());
        assertEquals(0.0, Bleu.compute(new int[] {0, 0, 0, 0}, new int[] {0, 0, 0, 0}, 0, 0, floor.withSmoothing(Smoothing.FLOOR, 0)).score());
        assertEquals(0.0, Bleu.compute(new int[] {6, 5, 4, 0}, new int[] {6, 5, 4, 3}, 6, 6, floor.withSmoothing(Smoothing.FLOOR, 0)).score());
        assertEquals(0.0, Bleu.compute(new int[] {0, 0, 0, 0}, new int[] {0, 0, 0, 0}, 0, 0, floor.withSmoothing(Smoothing.FLOOR, 0.1)).score());
        assertEquals(0.0, Bleu.compute(new int[] {0, 0, 0, 0}, new int[] {0, 0, 0, 0}, 1, 5, floor.withSmoothing(Smoothing.FLOOR, 0.01)).score());
    }

    // test_sentence_bleu.py: sacreBLEU issue #98's Romanian pair, tolerance 1e-3.
    private static final String REF_RO = "producţia de zahăr brut se exprimă în zahăr alb;";
    private static final String SYS_RO = "Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;";

    @Test
    void sentenceBleuMatchesSacrebleuForEverySmoothing() {
        Settings s = Settings.SENTENCE;
        assertEquals(8.493, Bleu.sentence(SYS_RO, List.of(REF_RO)).score(), 1e-3);
        assertEquals(0.0, Bleu.sentence(SYS_RO, List.of(REF_RO), s.withSmoothing(Smoothing.NONE, Double.NaN)).score(), 1e-3);
        assertEquals(4.51688, Bleu.sentence(SYS_RO, List.of(REF_RO), s.withSmoothing(Smoothing.FLOOR, Double.NaN)).score(), 1e-3);
        assertEquals(4.51688, Bleu.sentence(SYS_RO, List.of(REF_RO), s.withSmoothing(Smoothing.FLOOR, 0.1)).score(), 1e-3);
        assertEquals(10.10, Bleu.sentence(SYS_RO, List.of(REF_RO), s.withSmoothing(Smoothing.FLOOR, 0.5)).score(), 1e-3);
        assertEquals(14.882, Bleu.sentence(SYS_RO, List.of(REF_RO), s.withSmoothing(Smoothing.ADD_K, Double.NaN)).score(), 1e-3);
        assertEquals(14.882, Bleu.sentence(SYS_RO, List.of(REF_RO), s.withSmoothing(Smoothing.ADD_K, 1)).score(), 1e-3);
        assertEquals(21.389, Bleu.sentence(SYS_RO, List.of(REF_RO), s.withSmoothing(Smoothing.ADD_K, 2)).score(), 1e-3);
        assertEquals(7.347, Bleu.sentence(SYS_RO, List.of(REF_RO), s.withTokenize(Tokenize.NONE)).score(), 1e-3);
    }

    @Test
    void sentenceWithNoMatchScoresZeroWhateverTheSmoothing() {
        for (Smoothing m : Smoothing.values()) {
            assertEquals(0.0, Bleu.sentence("this is a cat", List.of("okay thanks"), Settings.SENTENCE.withSmoothing(m, Double.NaN)).score());
        }
    }

    @Test
    void tokenizer13aSplitsPunctuationButKeepsNumbersAndApostrophes() {
        assertEquals("It wasn't surprising .", Bleu.tokenize13a("It wasn't surprising."));
        assertEquals("It costs $ 1,000.50 , due 2024 - 01 - 02 .", Bleu.tokenize13a("It costs $1,000.50, due 2024-01-02."));
        assertEquals("a & b \" c \" < d >", Bleu.tokenize13a("a &amp; b &quot;c&quot; &lt;d&gt;"));
        assertEquals("line one line two", Bleu.tokenize13a("line one\nline two"));
    }

    @Test
    void referenceStreamsOfTheWrongLengthAreRejected() {
        var e = assertThrows(IllegalArgumentException.class, () -> Bleu.corpus(HYPS, List.of(List.of("only one"))));
        assertEquals("BLEU: reference stream 0 has 1 segments, the hypotheses 3", e.getMessage());
    }
}
