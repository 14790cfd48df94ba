/**
 * Text generation with a {@link io.supportlm.model.decoder.DecoderModel}:
 * {@link io.supportlm.generate.GenerationConfig} (transformers' names and defaults),
 * {@link io.supportlm.generate.Sampler} (seeded; repetition penalty, greedy, temperature, top-k,
 * top-p) and {@link io.supportlm.generate.Generator} (KV-cache decoding, stop tokens and strings,
 * a streaming callback per token). Text comes from a {@link io.supportlm.generate.TokenDecoder},
 * where the tokenizer plugs in.
 */
package io.supportlm.generate;
