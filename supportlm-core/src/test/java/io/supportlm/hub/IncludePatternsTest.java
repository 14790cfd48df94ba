package io.supportlm.hub;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IncludePatternsTest {
    @ParameterizedTest
    @ValueSource(strings = {"config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "model.safetensors", "model-00001-of-00002.safetensors",
            "model.safetensors.index.json", "chat_template.jinja", "tokenizer.model", "merges.txt", "vocab.txt"})
    void defaultsTakeWhatAModelLoaderNeeds(String path) {
        assertTrue(IncludePatterns.defaults().matches(path), path);
    }

    @ParameterizedTest
    @ValueSource(strings = {"pytorch_model.bin", "model.onnx", "onnx/model.onnx", "onnx/config.json", "model.gguf",
            "tf_model.h5", "flax_model.msgpack", "README.md", ".gitattributes"})
    void defaultsLeaveOutDuplicateWeightFormatsAndSubfolders(String path) {
        assertFalse(IncludePatterns.defaults().matches(path), path);
    }

    @Test
    void singleStarStaysInOneSegmentDoubleStarCrosses() {
        IncludePatterns onnx = new IncludePatterns(List.of("onnx/**"));
        assertTrue(onnx.matches("onnx/model.onnx"));
        assertTrue(onnx.matches("onnx/sub/dir/x.bin"));
        assertFalse(onnx.matches("model.onnx"));

        IncludePatterns json = new IncludePatterns(List.of("*.json"));
        assertTrue(json.matches("a.json"));
        assertFalse(json.matches("dir/a.json"));
        assertTrue(new IncludePatterns(List.of("**.json")).matches("dir/a.json"));
        assertTrue(new IncludePatterns(List.of("model-?????-of-*.safetensors")).matches("model-00001-of-00002.safetensors"));
    }

    @Test
    void regexCharactersInGlobsAreLiteral() {
        IncludePatterns p = new IncludePatterns(List.of("a+b(1).json"));
        assertTrue(p.matches("a+b(1).json"));
        assertFalse(p.matches("aab1.json"));
    }

    @Test
    void emptyOrAbsolutePatternsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new IncludePatterns(List.of()));
        assertThrows(IllegalArgumentException.class, () -> new IncludePatterns(List.of(" ")));
        assertThrows(IllegalArgumentException.class, () -> new IncludePatterns(List.of("/config.json")));
    }
}
