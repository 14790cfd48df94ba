package io.supportlm.model.bert;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.supportlm.io.Checkpoint;
import io.supportlm.kernels.Pooling;
import io.supportlm.model.hf.HfTokenizer;
import io.supportlm.model.hf.ModelDirectory;
import io.supportlm.model.onnx.BertOnnxImporter;
import io.supportlm.model.onnx.EncoderCatalog;
import io.supportlm.model.onnx.EncoderImport;
import io.supportlm.model.onnx.OnnxModel;
import java.io.InputStream;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our BERT, on weights imported from the real all-MiniLM-L6-v2 ONNX export, against ONNX Runtime
 * running that same file: token states and mean-pooled sentence embeddings agree within 1e-4.
 */
class BertOnnxParityTest {
    static Path resource(String name, Path dir) throws Exception {
        try (InputStream in = BertOnnxParityTest.class.getResourceAsStream("/" + name)) {
            Path out = dir.resolve(name);
            Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
            return out;
        }
    }

    @Test
    void miniLmMatchesOnnxRuntime(@TempDir Path tmp) throws Exception {
        EncoderCatalog minilm = EncoderCatalog.byName("minilm");
        Path onnx = resource(minilm.onnxResource(), tmp);
        Path tokenizerJson = resource(minilm.tokenizerResource(), tmp);
        Path dir = tmp.resolve("minilm");
        Files.createDirectories(dir);
        EncoderImport.write(minilm, BertOnnxImporter.convert(OnnxModel.read(onnx)), tokenizerJson, dir);

        List<String> texts = List.of("My card was charged twice for order #A-10293, please refund $49.99.",
                "hello", "The app crashes on startup since version 2.4.1 — can you help?");
        ModelDirectory model = ModelDirectory.of(dir);
        try (HfTokenizer tokenizer = HfTokenizer.load(dir); Checkpoint weights = Checkpoint.open(dir)) {
            HfTokenizer.Batch batch = tokenizer.encodeBatch(texts, true, 128, HfTokenizer.PaddingSide.RIGHT);
            int B = batch.size();
            int T = batch.length();
            int[] ids = new int[B * T];
            int[] mask = new int[B * T];
            long[] idsL = new long[B * T];
            long[] maskL = new long[B * T];
            for (int b = 0; b < B; b++) {
                for (int t = 0; t < T; t++) {
                    ids[b * T + t] = batch.ids()[b][t];
                    mask[b * T + t] = batch.attentionMask()[b][t];
                    idsL[b * T + t] = ids[b * T + t];
                    maskL[b * T + t] = mask[b * T + t];
                }
            }
            BertEncoder bert = BertModels.load(model, weights);
            BertEncoder.Activations acts = bert.allocate(B, T);
            bert.forward(acts, ids, null, mask, B, T, false, 0, 0);
            int C = bert.hiddenSize();
            float[] ours = java.util.Arrays.copyOf(acts.lastHidden(), B * T * C);

            float[] reference;
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            try (OrtSession session = env.createSession(onnx.toString(), new OrtSession.SessionOptions());
                 OnnxTensor inputIds = OnnxTensor.createTensor(env, LongBuffer.wrap(idsL), new long[] {B, T});
                 OnnxTensor attention = OnnxTensor.createTensor(env, LongBuffer.wrap(maskL), new long[] {B, T});
                 OnnxTensor types = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[B * T]), new long[] {B, T});
                 OrtSession.Result result = session.run(Map.of("input_ids", inputIds, "attention_mask", attention, "token_type_ids", types))) {
                float[][][] out = (float[][][]) result.get(0).getValue();
                reference = new float[B * T * C];
                for (int b = 0; b < B; b++) {
                    for (int t = 0; t < T; t++) {
                        System.arraycopy(out[b][t], 0, reference, (b * T + t) * C, C);
                    }
                }
            }
            double tokenDiff = 0;
            for (int i = 0; i < B * T; i++) {
                if (mask[i] == 0) {
                    continue; // padded positions carry no meaning in either implementation
                }
                for (int c = 0; c < C; c++) {
                    tokenDiff = Math.max(tokenDiff, Math.abs(ours[i * C + c] - reference[i * C + c]));
                }
            }
            float[] ourPooled = new float[B * C];
            float[] refPooled = new float[B * C];
            Pooling.forward(ourPooled, ours, mask, Pooling.Mode.MEAN, B, T, C);
            Pooling.forward(refPooled, reference, mask, Pooling.Mode.MEAN, B, T, C);
            double sentenceDiff = 0;
            for (int b = 0; b < B; b++) {
                double no = 0, nr = 0;
                for (int c = 0; c < C; c++) {
                    no += ourPooled[b * C + c] * ourPooled[b * C + c];
                    nr += refPooled[b * C + c] * refPooled[b * C + c];
                }
                for (int c = 0; c < C; c++) {
                    sentenceDiff = Math.max(sentenceDiff, Math.abs(ourPooled[b * C + c] / Math.sqrt(no) - refPooled[b * C + c] / Math.sqrt(nr)));
                }
            }
            assertTrue(tokenDiff <= 1e-4, "token states differ by up to " + tokenDiff);
            assertTrue(sentenceDiff <= 1e-4, "normalized sentence embeddings differ by up to " + sentenceDiff);
            System.out.printf("MiniLM parity: max |Δ| token states %.2e, sentence embeddings %.2e%n", tokenDiff, sentenceDiff);
        }
    }
}
