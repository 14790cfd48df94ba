/**
 * Decoder-only language models: Llama (also TinyLlama, SmolLM2), Mistral, Qwen2, Qwen3, Gemma 3
 * text models and GPT-NeoX (Pythia), as one implementation read from one validated
 * {@link io.supportlm.model.decoder.DecoderConfig}.
 *
 * <ul>
 *   <li>{@link io.supportlm.model.decoder.DecoderConfig}: a {@code config.json}, per family, with transformers' defaults.</li>
 *   <li>{@link io.supportlm.model.decoder.DecoderWeights}: the checkpoint's tensors by Hugging Face name, every shape checked.</li>
 *   <li>{@link io.supportlm.model.decoder.DecoderModel}: training forward and backward over padded batches
 *       ({@link io.supportlm.model.decoder.DecoderActivations}), logits for chosen rows, and inference with a
 *       {@link io.supportlm.model.decoder.KvCache} (single or batched decoding).</li>
 *   <li>{@link io.supportlm.model.decoder.DecoderInit}: tiny configs and random weights, for tests and new models.</li>
 * </ul>
 */
package io.supportlm.model.decoder;
