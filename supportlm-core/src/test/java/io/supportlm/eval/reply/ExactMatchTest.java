package io.supportlm.eval.reply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ExactMatchTest {
    @Test
    void caseArticlesPunctuationAndSpacingDoNotMatter() {
        assertTrue(ExactMatch.matches("The refund was issued.", "refund  was issued"));
        assertTrue(ExactMatch.matches("Your order\u00A0ships today!", "your order ships today"));
        assertEquals("refund was issued", ExactMatch.normalize("  The REFUND, was issued!! "));
    }

    @Test
    void differentWordsOrNumbersDoNotMatch() {
        assertFalse(ExactMatch.matches("Your order ships today", "Your order ships tomorrow"));
        assertFalse(ExactMatch.matches("Refund of 20 dollars", "Refund of 30 dollars"));
        assertFalse(ExactMatch.matches("theater", "ater")); // articles go only as whole words
    }
}
