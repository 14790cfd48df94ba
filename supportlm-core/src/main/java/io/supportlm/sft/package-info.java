/**
 * Reply generation training: supervised fine-tuning (SFT) on conversations rendered with the
 * model's chat template, with the loss on the assistant's tokens only, and preference tuning (DPO).
 * <p>
 * The contract between data preparation and the trainer is {@link io.supportlm.sft.SftExample}
 * (one tokenized sequence with its labels) and {@link io.supportlm.sft.SftBatch} (B × T of them,
 * padded or packed); {@link io.supportlm.sft.PreferenceExample} pairs a chosen and a rejected
 * answer to the same prompt.
 */
package io.supportlm.sft;
