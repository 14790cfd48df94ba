package io.supportlm.data.synth;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Settings of the synthetic ticket generator; the same config and seed give the same tickets.
 *
 * @param count            number of tickets
 * @param seed             random seed
 * @param queueWeights     relative weight per queue (missing queues get 0); default uniform
 * @param typoRate         fraction of tickets with typos (letters swapped, dropped, doubled)
 * @param noiseRate        fraction with noise: lower-casing, off-topic sentences, a second issue
 * @param piiRate          fraction carrying personal data (emails, phones, cards, IBANs, IPs, SSNs)
 * @param incompleteRate   fraction missing the information an agent needs (order number, version...)
 * @param chatRate         fraction of chat messages (plain {@code text}, no subject) instead of emails
 */
public record SynthConfig(int count, long seed, Map<String, Double> queueWeights, double typoRate, double noiseRate,
                          double piiRate, double incompleteRate, double chatRate) {
    public static final List<String> QUEUES = List.of("billing", "tech_support", "account", "shipping", "sales", "general");

    public SynthConfig {
        if (count < 0) {
            throw new IllegalArgumentException("count must be >= 0, got " + count);
        }
        if (queueWeights == null || queueWeights.isEmpty()) {
            queueWeights = new LinkedHashMap<>();
            for (String q : QUEUES) {
                queueWeights.put(q, 1.0);
            }
        }
        double total = 0;
        for (var e : queueWeights.entrySet()) {
            if (!QUEUES.contains(e.getKey())) {
                throw new IllegalArgumentException("unknown queue '" + e.getKey() + "' in queue weights; expected one of " + QUEUES);
            }
            if (!(e.getValue() >= 0) || Double.isInfinite(e.getValue())) {
                throw new IllegalArgumentException("queue weight for " + e.getKey() + " must be a finite number >= 0, got " + e.getValue());
            }
            total += e.getValue();
        }
        if (total <= 0) {
            throw new IllegalArgumentException("queue weights must not all be zero");
        }
        queueWeights = Map.copyOf(queueWeights);
        checkRate("typoRate", typoRate);
        checkRate("noiseRate", noiseRate);
        checkRate("piiRate", piiRate);
        checkRate("incompleteRate", incompleteRate);
        checkRate("chatRate", chatRate);
    }

    /** Defaults: uniform queues, 15% typos, 20% noise, no PII, 20% incomplete, 20% chat. */
    public static SynthConfig defaults(int count, long seed) {
        return new SynthConfig(count, seed, null, 0.15, 0.2, 0.0, 0.2, 0.2);
    }

    public SynthConfig withPiiRate(double rate) {
        return new SynthConfig(count, seed, queueWeights, typoRate, noiseRate, rate, incompleteRate, chatRate);
    }

    public SynthConfig withTypoAndNoise(double typos, double noise) {
        return new SynthConfig(count, seed, queueWeights, typos, noise, piiRate, incompleteRate, chatRate);
    }

    /** Parses {@code billing=3,shipping=1}. */
    public static Map<String, Double> parseWeights(String spec) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (String part : spec.split(",")) {
            String[] kv = part.split("=");
            if (kv.length != 2) {
                throw new IllegalArgumentException("queue weights look like billing=3,shipping=1; got '" + part + "'");
            }
            try {
                m.put(kv[0].strip(), Double.parseDouble(kv[1].strip()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("queue weight '" + kv[1] + "' is not a number");
            }
        }
        return m;
    }

    private static void checkRate(String name, double v) {
        if (!(v >= 0 && v <= 1)) {
            throw new IllegalArgumentException(name + " must be in [0, 1], got " + v);
        }
    }
}
