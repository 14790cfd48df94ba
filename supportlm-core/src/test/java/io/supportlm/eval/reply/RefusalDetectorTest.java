package io.supportlm.eval.reply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RefusalDetectorTest {
    private final RefusalDetector detector = new RefusalDetector();

    @Test
    void refusalsAndRedirectsAreDetectedWithTheirRule() {
        assertEquals(Optional.of("apology + inability"), detector.match("I'm sorry, but I can't do that."));
        assertEquals(Optional.of("cannot + helping verb"), detector.match("We cannot share another customer's address."));
        assertEquals(Optional.of("not able/allowed to"), detector.match("Staff are not permitted to disclose card numbers."));
        assertEquals(Optional.of("decline"), detector.match("I must respectfully decline this request."));
        assertEquals(Optional.of("out of scope"), detector.match("Homework help is outside my scope."));
        assertEquals(Optional.of("only help with"), detector.match("I'm only here to help with orders, refunds and your account."));
        assertEquals(Optional.of("refer to a professional"), detector.match("Please contact a doctor or emergency services right away."));
        assertEquals(Optional.of("against policy"), detector.match("That would be against our policy."));
    }

    @Test
    void helpfulAnswersAreNotRefusals() {
        for (String s : List.of("I can't wait to help you with your new account!", "Sure, here is how to cancel your order.",
                "I'm sorry to hear your parcel is late. Let me check the tracking for you.",
                "We cannot find an order with that number; could you double-check it?")) {
            assertFalse(detector.refuses(s), s);
        }
    }

    @Test
    void thePolicysOutOfScopeMessageCountsAsARefusal() {
        RefusalDetector withPolicy = new RefusalDetector("I can help only with questions about your account and our products.");
        assertEquals(Optional.of("policy out-of-scope message"),
                withPolicy.match("Hi! I can help ONLY with questions about your account and our products"));
        assertFalse(withPolicy.refuses("Your account is active."));
    }

    @Test
    void shippedReferenceAnswersAreAlmostNeverFlagged() throws IOException {
        EvalSuite bitext = EvalSuite.load(EvalSuiteTest.repoRoot().resolve("suites/bitext-support-100.jsonl"));
        long flagged = bitext.items().stream().filter(i -> detector.refuses(i.reference())).count();
        assertTrue(flagged <= 3, flagged + " of 100 helpful reference answers look like refusals");
    }
}
