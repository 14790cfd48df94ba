package io.supportlm.data.pii;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class PiiRedactorTest {
    private final PiiRedactor redactor = PiiRedactor.all();

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            Write to jane.doe+billing@example.co.uk please           | EMAIL
            Reach me: J.O'Brien@mail.company-name.io                  | EMAIL
            Card 4111 1111 1111 1111 was charged twice               | CARD
            my card number is 5500-0000-0000-0004                     | CARD
            amex 378282246310005 expired                              | CARD
            IBAN GB82 WEST 1234 5698 7654 32 for the refund           | IBAN
            send it to DE89370400440532013000                         | IBAN
            SSN 123-45-6789 on file                                   | NATIONAL_ID
            NI number AB 12 34 56 C                                   | NATIONAL_ID
            logged in from 192.168.1.23 yesterday                     | IP_ADDRESS
            from 2001:db8:85a3::8a2e:370:7334 today                   | IP_ADDRESS
            full form 2001:0db8:0000:0000:0000:ff00:0042:8329 here    | IP_ADDRESS
            call me on +44 20 7946 0958                               | PHONE
            US office +1 (415) 555-0132 anytime                       | PHONE
            my cell is 415-555-0132                                   | PHONE
            Berlin desk +49 30 901820                                 | PHONE
            phone: 0171 2345678                                       | PHONE
            landline (020) 7946 0958                                  | PHONE
            reset link https://app.example.com/reset?token=abcd1234efgh | CREDENTIAL_URL
            repo https://bob:hunter2@git.example.com/team/repo.git    | CREDENTIAL_URL
            db postgres://admin:s3cret@db.internal:5432/app           | CREDENTIAL_URL
            Paris office +33 1 23 45 67 89                            | PHONE
            toll free: call 1-800-555-0199                            | PHONE
            link-local fe80::1ff:fe23:4567:890a                       | IP_ADDRESS
            mapped ::ffff:192.0.2.128 seen                            | IP_ADDRESS
            IBAN: FR14 2004 1010 0505 0001 3M02 606                   | IBAN
            my ssn: 078-05-1120                                       | NATIONAL_ID
            """)
    void redactsRealisticPersonalData(String text, PiiKind kind) {
        Redaction r = redactor.redact(text);
        assertEquals(1, r.count(kind), () -> "expected one " + kind + " in: " + r.text());
        assertEquals(1, r.total(), () -> "expected nothing else redacted in: " + r.text());
        assertTrue(r.text().contains(kind.placeholder()), r.text());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "Order #A-10293 has not arrived",
            "order 113542617735902 is late",
            "invoice 4111111111111111 was paid",         // Luhn-valid digits, but named as an invoice number
            "tracking number 1Z999AA10123456784",
            "Delivery on 2024-03-15, or 15.03.2024, or 03/15/2024 at 10:30:00",
            "I use version 2.4.1 and build 4.18.0.2 of the app, v10.2.0.3 too",
            "It cost $1,299.00 plus €49.99, total USD 2,499.50 or 1 299,00 EUR",
            "Ticket 2023-11-0045 was reopened",
            "zip 94107, 30% off, 12 500 points, SKU 4006381333931",
            "see https://example.com/help/articles/12345?lang=en",
            "serial 123-45-6789 on the router label",
            "MAC 00:1A:2B:3C:4D:5E and time 10:30:45",
            "2 x 25.50 = 51.00",
            "Call between 9-17 on 3 March",
            "DE12 is a bay number, not an IBAN",
            "Windows 10 22H2 on 1.5.2024, shipping takes 10-12 business days",
            "Order 2024-000123-45 and ref 4000 1234 5678 9010",
            "open at 12:30, 14:45 and 09:00",
            "Use std::vector, or a :: b in the docs",
    })
    void leavesLookAlikesAlone(String text) {
        Redaction r = redactor.redact(text);
        assertEquals(text, r.text(), () -> "redacted " + r.counts());
        assertEquals(0, r.total());
    }

    @Test
    void countsEachKindInAMixedTicket() {
        String ticket = """
                Hi, I'm Jane (jane@example.com, +1 415 555 0132). My Visa 4111-1111-1111-1111 was charged
                $49.99 twice for order #A-10293 on 2024-03-15. Refund to IBAN DE89 3704 0044 0532 0130 00.
                My backup email is j.doe@work.example.org. App version 3.2.1, IP 10.0.0.7.""";
        Redaction r = redactor.redact(ticket);
        assertEquals(2, r.count(PiiKind.EMAIL));
        assertEquals(1, r.count(PiiKind.PHONE));
        assertEquals(1, r.count(PiiKind.CARD));
        assertEquals(1, r.count(PiiKind.IBAN));
        assertEquals(1, r.count(PiiKind.IP_ADDRESS));
        assertTrue(r.text().contains("$49.99") && r.text().contains("#A-10293") && r.text().contains("2024-03-15")
                && r.text().contains("version 3.2.1"), r.text());
    }

    @Test
    void onlyEnabledKindsAreRedacted() {
        PiiRedactor emailsOnly = new PiiRedactor(EnumSet.of(PiiKind.EMAIL));
        Redaction r = emailsOnly.redact("mail a@b.com or call +44 20 7946 0958");
        assertEquals("mail [EMAIL] or call +44 20 7946 0958", r.text());
        assertEquals(1, r.total());
    }

    @Test
    void checksumsRejectNearMisses() {
        assertTrue(PiiRedactor.luhn("4111111111111111"));
        assertFalse(PiiRedactor.validCard("4111111111111112"));
        assertTrue(PiiRedactor.validIban("GB82WEST12345698765432"));
        assertFalse(PiiRedactor.validIban("GB83WEST12345698765432"));
        assertEquals("card 4111 1111 1111 1112 ok", redactor.redact("card 4111 1111 1111 1112 ok").text());
    }

    @Test
    void parsesKindNamesLeniently() {
        assertEquals(PiiKind.IP_ADDRESS, PiiKind.parse("ip"));
        assertEquals(PiiKind.CREDENTIAL_URL, PiiKind.parse("credential-url"));
    }
}
