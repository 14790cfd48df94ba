package io.supportlm.eval.reply;

/**
 * Compares the tuned model's answer with the base model's for one question. Implementations:
 * {@link OfflineJudge} (similarity to the reference, no network) and {@link LlmJudge} (an
 * OpenAI-compatible chat endpoint, both orders).
 */
public interface Judge {
    /** For reports: "offline (ROUGE-L, tie margin 0.02)", "llm gpt-4o-mini @ http://…". */
    String description();

    Verdict judge(SuiteItem item, String tunedAnswer, String baseAnswer);

    /** From the tuned model's side. */
    enum Outcome {
        WIN, TIE, LOSS;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** An outcome and why, in a few words. */
    record Verdict(Outcome outcome, String reason) {
        public Verdict {
            if (outcome == null) {
                throw new IllegalArgumentException("a verdict needs an outcome");
            }
            reason = reason == null ? "" : reason;
        }
    }
}
