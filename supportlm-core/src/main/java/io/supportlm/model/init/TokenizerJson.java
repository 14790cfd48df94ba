package io.supportlm.model.init;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * Tokenizers the project generates for its random checkpoints, written in Hugging Face's
 * {@code tokenizer.json} format so that the real tokenizer library (DJL's binding of HF
 * tokenizers) loads them like any downloaded model's:
 * <ul>
 *   <li>{@link #byteLevelBpe}: GPT-2 style byte-level BPE with no merges: every byte is a token
 *       (256 ids), plus special tokens after them. Any text encodes, nothing is unknown.</li>
 *   <li>{@link #characterWordPiece}: a BERT-style WordPiece over lowercase ASCII characters
 *       ({@code [PAD] [UNK] [CLS] [SEP] [MASK]}, each printable character and its {@code ##}
 *       continuation), with BERT's normalizer and [CLS]/[SEP] post-processing.</li>
 * </ul>
 */
public final class TokenizerJson {
    private TokenizerJson() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** GPT-2's reversible byte → printable character table ({@code bytes_to_unicode}). */
    static char[] byteAlphabet() {
        char[] map = new char[256];
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? (char) b : (char) (256 + extra++);
        }
        return map;
    }

    /** Byte-level BPE: ids 0..255 are the bytes, then {@code specials} in order. */
    public static ObjectNode byteLevelBpe(List<String> specials) {
        ObjectNode root = base();
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < specials.size(); i++) {
            added.add(special(256 + i, specials.get(i)));
        }
        ObjectNode byteLevel = JSON.createObjectNode().put("type", "ByteLevel").put("add_prefix_space", false)
                .put("trim_offsets", true).put("use_regex", true);
        root.putNull("normalizer");
        root.set("pre_tokenizer", byteLevel.deepCopy());
        root.set("post_processor", byteLevel.deepCopy().put("trim_offsets", false));
        root.set("decoder", byteLevel.deepCopy());
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE").putNull("dropout").putNull("unk_token").putNull("continuing_subword_prefix")
                .putNull("end_of_word_suffix").put("fuse_unk", false).put("byte_fallback", false).put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        char[] alphabet = byteAlphabet();
        for (int b = 0; b < 256; b++) {
            vocab.put(String.valueOf(alphabet[b]), b);
        }
        for (int i = 0; i < specials.size(); i++) {
            vocab.put(specials.get(i), 256 + i);
        }
        model.putArray("merges");
        return root;
    }

    /** The vocabulary size of {@link #byteLevelBpe}. */
    public static int byteLevelVocabSize(List<String> specials) {
        return 256 + specials.size();
    }

    static final List<String> BERT_SPECIALS = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]");

    /** Character WordPiece for BERT-style models; [PAD]=0, [UNK]=1, [CLS]=2, [SEP]=3, [MASK]=4. */
    public static ObjectNode characterWordPiece() {
        ObjectNode root = base();
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < BERT_SPECIALS.size(); i++) {
            added.add(special(i, BERT_SPECIALS.get(i)));
        }
        root.putObject("normalizer").put("type", "BertNormalizer").put("clean_text", true).put("handle_chinese_chars", true)
                .putNull("strip_accents").put("lowercase", true);
        root.putObject("pre_tokenizer").put("type", "BertPreTokenizer");
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        post.set("single", JSON.valueToTree(List.of(
                java.util.Map.of("SpecialToken", java.util.Map.of("id", "[CLS]", "type_id", 0)),
                java.util.Map.of("Sequence", java.util.Map.of("id", "A", "type_id", 0)),
                java.util.Map.of("SpecialToken", java.util.Map.of("id", "[SEP]", "type_id", 0)))));
        post.set("pair", JSON.valueToTree(List.of(
                java.util.Map.of("SpecialToken", java.util.Map.of("id", "[CLS]", "type_id", 0)),
                java.util.Map.of("Sequence", java.util.Map.of("id", "A", "type_id", 0)),
                java.util.Map.of("SpecialToken", java.util.Map.of("id", "[SEP]", "type_id", 0)),
                java.util.Map.of("Sequence", java.util.Map.of("id", "B", "type_id", 1)),
                java.util.Map.of("SpecialToken", java.util.Map.of("id", "[SEP]", "type_id", 1)))));
        ObjectNode specials = post.putObject("special_tokens");
        specials.putObject("[CLS]").put("id", "[CLS]").set("ids", JSON.valueToTree(List.of(2)));
        ((ObjectNode) specials.get("[CLS]")).set("tokens", JSON.valueToTree(List.of("[CLS]")));
        specials.putObject("[SEP]").put("id", "[SEP]").set("ids", JSON.valueToTree(List.of(3)));
        ((ObjectNode) specials.get("[SEP]")).set("tokens", JSON.valueToTree(List.of("[SEP]")));
        root.putObject("decoder").put("type", "WordPiece").put("prefix", "##").put("cleanup", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "WordPiece").put("unk_token", "[UNK]").put("continuing_subword_prefix", "##")
                .put("max_input_chars_per_word", 100);
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < BERT_SPECIALS.size(); i++) {
            vocab.put(BERT_SPECIALS.get(i), i);
        }
        int id = BERT_SPECIALS.size();
        for (char ch = '!'; ch <= '~'; ch++) {
            if (ch >= 'A' && ch <= 'Z') {
                continue; // lowercased by the normalizer
            }
            vocab.put(String.valueOf(ch), id++);
        }
        for (char ch = '!'; ch <= '~'; ch++) {
            if (Character.isLetterOrDigit(ch) && !(ch >= 'A' && ch <= 'Z')) {
                vocab.put("##" + ch, id++);
            }
        }
        return root;
    }

    public static int characterWordPieceVocabSize() {
        return characterWordPiece().path("model").path("vocab").size();
    }

    private static ObjectNode base() {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        return root;
    }

    private static ObjectNode special(int id, String content) {
        return JSON.createObjectNode().put("id", id).put("content", content).put("single_word", false).put("lstrip", false)
                .put("rstrip", false).put("normalized", false).put("special", true);
    }
}
