package io.supportlm.data.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.supportlm.data.Jsonl;
import io.supportlm.data.SupportRecord;
import io.supportlm.data.pii.PiiKind;
import io.supportlm.data.pii.PiiRedactor;
import io.supportlm.data.pii.Redaction;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class SyntheticTicketsTest {
    @Test
    void sameSeedSameTicketsAndPrefixesDoNotDependOnCount() {
        List<SupportRecord> a = new SyntheticTickets(SynthConfig.defaults(200, 7)).generate();
        List<SupportRecord> b = new SyntheticTickets(SynthConfig.defaults(200, 7)).generate();
        List<SupportRecord> c = new SyntheticTickets(SynthConfig.defaults(50, 7)).generate();
        List<SupportRecord> d = new SyntheticTickets(SynthConfig.defaults(200, 8)).generate();
        assertEquals(a, b);
        assertEquals(a.subList(0, 50), c);
        assertNotEquals(a.getFirst().mainText(), d.getFirst().mainText());
        assertEquals("synth-7-00000", a.getFirst().id());
    }

    @Test
    void ticketsAreCompleteValidAndVaried() {
        SyntheticTickets gen = new SyntheticTickets(SynthConfig.defaults(2000, 7));
        List<SupportRecord> tickets = gen.generate();
        Set<String> texts = new HashSet<>();
        for (SupportRecord r : tickets) {
            assertEquals(r, Jsonl.fromLine(Jsonl.toLine(r)));
            assertFalse(r.mainText().contains("{") || r.outputs().answer().contains("{"), r.mainText());
            assertEquals(Set.of("queue", "category", "priority", "is_actionable", "info_complete", "resolution"),
                    r.outputs().labels().keySet());
            assertTrue(gen.categories().values().stream().anyMatch(cats -> cats.contains(r.label("category"))), r.toString());
            assertTrue(gen.resolutions().contains(r.label("resolution")), r.label("resolution"));
            texts.add(io.supportlm.data.TextNormalizer.dedupKey(r.mainText()));
        }
        assertEquals(2000, texts.size(), "near-duplicate tickets");
        Map<String, Long> perQueue = count(tickets, "queue");
        assertEquals(Set.copyOf(SynthConfig.QUEUES), perQueue.keySet());
        perQueue.values().forEach(n -> assertTrue(n > 250 && n < 420, perQueue.toString()));
        assertEquals(4, count(tickets, "priority").size());
        assertTrue(count(tickets, "resolution").size() >= 9, count(tickets, "resolution").toString());
        long incomplete = tickets.stream().filter(r -> r.label("info_complete").equals("false")).count();
        assertTrue(incomplete > 300 && incomplete < 500, "incomplete " + incomplete);
    }

    @Test
    void queueWeightsShapeTheLabelDistribution() {
        SynthConfig config = new SynthConfig(1000, 1, Map.of("billing", 3.0, "shipping", 1.0), 0, 0, 0, 0.2, 0.2);
        Map<String, Long> perQueue = count(new SyntheticTickets(config).generate(), "queue");
        assertEquals(Set.of("billing", "shipping"), perQueue.keySet());
        // 3:1 before routing; some refund requests are then routed to shipping (never to a zero-weight queue)
        assertTrue(perQueue.get("billing") > 650 && perQueue.get("billing") < 780, perQueue.toString());
        assertThrows(IllegalArgumentException.class, () -> new SynthConfig(1, 1, Map.of("biling", 1.0), 0, 0, 0, 0, 0));
    }

    @Test
    void piiVariantsAreCaughtByTheRedactorAndCleanTicketsAreLeftAlone() {
        List<SupportRecord> tickets = new SyntheticTickets(SynthConfig.defaults(600, 3).withPiiRate(0.5)).generate();
        PiiRedactor redactor = PiiRedactor.all();
        int withPii = 0;
        for (SupportRecord r : tickets) {
            Redaction red = redactor.redact(r.mainText());
            Set<PiiKind> tagged = r.meta().tags().stream().filter(t -> t.startsWith("pii="))
                    .map(t -> PiiKind.parse(t.substring(4))).collect(Collectors.toSet());
            if (tagged.isEmpty()) {
                // order numbers, prices, dates, versions and error codes must all survive
                assertEquals(0, red.total(), () -> "false positive " + red.counts() + " in: " + r.mainText());
            } else {
                withPii++;
                assertEquals(tagged, red.counts().keySet(), () -> "in: " + r.mainText() + "\n->" + red.text());
            }
        }
        assertTrue(withPii > 250 && withPii < 350, "pii tickets " + withPii);
    }

    @Test
    void checksummedIdentifiersAreValid() {
        SplittableRandom rng = new SplittableRandom(5);
        for (int i = 0; i < 50; i++) {
            assertEquals(1, PiiRedactor.all().redact(SyntheticTickets.luhnComplete(rng, "4", 16)).count(PiiKind.CARD));
            assertEquals(1, PiiRedactor.all().redact(SyntheticTickets.germanIban(rng)).count(PiiKind.IBAN));
        }
    }

    /**
     * A bag-of-words naive Bayes classifier must learn the queue well but not perfectly: the data
     * carries signal, and noise and cross-queue overlap keep it from being trivial.
     */
    @Test
    void queuesAreLearnableButNotTrivial() {
        List<SupportRecord> tickets = new SyntheticTickets(SynthConfig.defaults(2000, 7)).generate();
        double acc = naiveBayesAccuracy(tickets.subList(0, 1600), tickets.subList(1600, 2000), "queue");
        assertTrue(acc > 0.75 && acc < 0.97, "queue accuracy " + acc);
        System.out.printf("naive Bayes on 1600 synthetic tickets: queue accuracy %.3f%n", acc);
        double prio = naiveBayesAccuracy(tickets.subList(0, 1600), tickets.subList(1600, 2000), "priority");
        assertTrue(prio > 0.4 && prio < 0.95, "priority accuracy " + prio);
    }

    private static double naiveBayesAccuracy(List<SupportRecord> train, List<SupportRecord> test, String task) {
        Map<String, Map<String, Integer>> wordCounts = new HashMap<>();
        Map<String, Integer> totals = new HashMap<>();
        Map<String, Integer> docs = new HashMap<>();
        Set<String> vocab = new HashSet<>();
        for (SupportRecord r : train) {
            String y = r.label(task);
            docs.merge(y, 1, Integer::sum);
            for (String w : words(r.mainText())) {
                wordCounts.computeIfAbsent(y, k -> new HashMap<>()).merge(w, 1, Integer::sum);
                totals.merge(y, 1, Integer::sum);
                vocab.add(w);
            }
        }
        int correct = 0;
        for (SupportRecord r : test) {
            String best = null;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (String y : docs.keySet()) {
                double s = Math.log(docs.get(y));
                for (String w : words(r.mainText())) {
                    s += Math.log((wordCounts.get(y).getOrDefault(w, 0) + 1.0) / (totals.get(y) + vocab.size()));
                }
                if (s > bestScore) {
                    bestScore = s;
                    best = y;
                }
            }
            correct += r.label(task).equals(best) ? 1 : 0;
        }
        return correct / (double) test.size();
    }

    private static List<String> words(String s) {
        return List.of(s.toLowerCase().split("[^a-z0-9]+"));
    }

    private static Map<String, Long> count(List<SupportRecord> records, String task) {
        return records.stream().collect(Collectors.groupingBy(r -> r.label(task), Collectors.counting()));
    }
}
