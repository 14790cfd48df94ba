package io.supportlm.eval.reply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class HallucinationRubricTest {
    private static List<String> claims(String text) {
        return HallucinationRubric.extract(text).stream().map(Claim::toString).toList();
    }

    private static List<String> unsupported(String answer, String... sources) {
        return HallucinationRubric.check(answer, sources).unsupported().stream().map(Claim::toString).toList();
    }

    @Test
    void extractsEachKindOfClaim() {
        assertEquals(List.of("url:https://shop.example.com/returns", "email:help@example.com", "money:$1,299.00", "date:March 3, 2024",
                        "phone:+1 (555) 010-2030", "number:30", "number:15%", "name:Premium Protection Plan", "placeholder:{{Order Number}}"),
                claims("See https://shop.example.com/returns. Write to help@example.com about the $1,299.00 charge from "
                        + "March 3, 2024 or call +1 (555) 010-2030 within 30 days for 15% back under our Premium Protection Plan "
                        + "for {{Order Number}}."));
    }

    @Test
    void listEnumeratorsSentenceOpenersAndSingleCapitalsAreNotClaims() {
        assertEquals(List.of(), claims("1. Log in to your account.\n2) Go to Orders.\nThank You for waiting. Please choose Gold."));
        // A capitalised run at a sentence start loses its first word; two words must remain.
        assertEquals(List.of("name:Order Tracking Portal"), claims("Open the Order Tracking Portal. Visit Settings now."));
    }

    @Test
    void claimsInQuestionContextOrReferenceAreSupported() {
        String question = "Where is order 48213? I paid $49.99 on 2024-05-01.";
        String reference = "Your order {{Order Number}} ships within 3 days; call {{Customer Support Phone Number}} or "
                + "visit https://example.com/track/ for the Order Tracking Portal.";
        String answer = "Order 48213 (49.99 USD, paid 2024-05-01) ships within 3 days. Track it at www.example.com/track "
                + "in the order tracking portal or call {{Customer Support Phone Number}}.";
        // "order tracking portal" is lowercase here: not a name claim; everything else is supported.
        assertEquals(List.of(), unsupported(answer, question, null, reference));
    }

    @Test
    void inventedSpecificsAreUnsupported() {
        String question = "How do I get a refund?";
        String reference = "Please visit {{Website URL}} and open a refund request; refunds take {{Refund Timeframe}}.";
        String answer = "Refunds take 5-7 business days. Email refunds@example.com or call 1-800-555-0199, "
                + "and mention the Gold Refund Guarantee. You will get $20 credit by June 1st. Your case is {{Case Number}}.";
        assertEquals(List.of("number:5", "number:7", "email:refunds@example.com", "phone:1-800-555-0199", "name:Gold Refund Guarantee",
                "money:$20", "date:June 1st", "placeholder:{{Case Number}}"), unsupported(answer, question, null, reference));
        assertTrue(HallucinationRubric.check(answer, question, reference).hallucinated());
    }

    @Test
    void numbersCompareByValueNotSpelling() {
        assertFalse(HallucinationRubric.check("The fee is $1,000.00", "a fee of 1000 dollars").hallucinated());
        assertTrue(HallucinationRubric.check("The fee is $1,500", "a fee of 1000 dollars").hallucinated());
        assertFalse(HallucinationRubric.check("Call 555 010 2030", "phone: 555-010-2030").hallucinated());
    }

    @Test
    void placeholdersMatchCaseAndSpacingInsensitively() {
        assertFalse(HallucinationRubric.check("Use {{order number}}", "ref with {{Order  Number}}").hallucinated());
        assertTrue(HallucinationRubric.check("Use {{Tracking Link}}", "ref with {{Order Number}}").hallucinated());
    }
}
