package io.supportlm.data.report;

/** Measures text length for reports; a model tokenizer can implement this to report lengths in its tokens. */
public interface TokenCounter {
    /** The unit reported, e.g. "words", "chars" or "tokens (bert-base-uncased)". */
    String unit();

    int count(String text);

    /** Lengths in a model's tokens (special tokens excluded), e.g. {@code tokens (minilm)}. */
    static TokenCounter of(io.supportlm.model.hf.HfTokenizer tokenizer, String name) {
        return new TokenCounter() {
            @Override
            public String unit() {
                return "tokens (" + name + ")";
            }

            @Override
            public int count(String text) {
                return tokenizer.encode(text, false).length();
            }
        };
    }

    TokenCounter WORDS = new TokenCounter() {
        @Override
        public String unit() {
            return "words";
        }

        @Override
        public int count(String text) {
            String t = text.strip();
            return t.isEmpty() ? 0 : t.split("\\s+").length;
        }
    };

    TokenCounter CHARS = new TokenCounter() {
        @Override
        public String unit() {
            return "chars";
        }

        @Override
        public int count(String text) {
            return text.codePointCount(0, text.length());
        }
    };
}
