package io.supportlm.eval.reply;

/**
 * One model's answer to one question with its scores.
 *
 * @param sentenceBleu sacreBLEU sentence BLEU (0–100) against the reference; NaN without one
 * @param rougeL       ROUGE-L against the reference; null without one
 * @param exactMatch   normalized exact match; null without a reference
 * @param refusal      the refusal rule the answer matched, or null when it does not refuse
 */
public record ScoredAnswer(Responder.Answer answer, double sentenceBleu, RougeL.Score rougeL, Boolean exactMatch,
                           HallucinationRubric.Result claims, String refusal) {
    public boolean refused() {
        return refusal != null;
    }

    public boolean empty() {
        return answer.text().isBlank();
    }

    /** ROUGE-L F1, or NaN without a reference. */
    public double rougeLF1() {
        return rougeL == null ? Double.NaN : rougeL.f1();
    }

    static ScoredAnswer score(SuiteItem item, Responder.Answer answer, RefusalDetector refusals) {
        String text = answer.text();
        double bleu = Double.NaN;
        RougeL.Score rouge = null;
        Boolean em = null;
        if (item.hasReference()) {
            bleu = Bleu.sentence(text, java.util.List.of(item.reference())).score();
            rouge = RougeL.score(item.reference(), text);
            em = ExactMatch.matches(item.reference(), text);
        }
        HallucinationRubric.Result claims = HallucinationRubric.check(text, item.question(), item.context(), item.reference());
        return new ScoredAnswer(answer, bleu, rouge, em, claims, refusals.match(text).orElse(null));
    }
}
