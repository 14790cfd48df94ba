/**
 * The Hugging Face model-directory files other than weights, read as transformers reads them:
 * {@link io.supportlm.model.hf.ModelDirectory} (locates them), {@link io.supportlm.model.hf.ConfigJson}
 * ({@code config.json}, typed and with clear errors; family packages build their config records
 * from it), {@link io.supportlm.model.hf.GenerationConfig}, {@link io.supportlm.model.hf.HfTokenizer}
 * ({@code tokenizer.json} through DJL's binding of the Rust tokenizers library) and
 * {@link io.supportlm.model.hf.ChatTemplate} (chat templates through jinjava, made to render as
 * Jinja2 does).
 *
 * <p>Runtime needs: DJL's tokenizers jar carries its native library (linux x86_64/aarch64, macOS
 * arm64, Windows x86_64) and extracts it on first use to {@code ~/.djl.ai/tokenizers/} (set the
 * {@code DJL_CACHE_DIR} system property or environment variable to move it); nothing is
 * downloaded (HfTokenizer puts DJL in offline mode, so an unsupported platform fails clearly). DJL and jinjava log through SLF4J; without a binding SLF4J prints a one-time notice.
 */
package io.supportlm.model.hf;
