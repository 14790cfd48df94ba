/**
 * The data side of supervised fine-tuning and DPO for decoders: from JSONL to batches.
 *
 * <ul>
 *   <li>{@link io.supportlm.sft.data.SftJsonl} reads conversations (supportlm records,
 *       {@code {"messages"}}, {@code {"prompt", "completion"}}) and preference pairs
 *       ({@code {"prompt", "chosen", "rejected"}}), errors naming file:line and field.</li>
 *   <li>{@link io.supportlm.sft.data.ChatFormat} renders them (the model's chat template, or a plain
 *       format for base models); {@link io.supportlm.sft.data.ConversationEncoder} tokenizes and
 *       labels the assistant's replies with their end-of-turn and EOS, nothing else.</li>
 *   <li>Truncation to max_length keeps the latest turns, or splits into sliding windows.</li>
 *   <li>{@link io.supportlm.sft.data.SftDataset} and {@link io.supportlm.sft.data.PreferenceDataset}
 *       are the entry points (examples and {@link io.supportlm.sft.data.SftDataStats});
 *       {@link io.supportlm.sft.data.SftBatches} pads or packs them into
 *       {@link io.supportlm.sft.SftBatch}es, reproducibly per (seed, epoch, step).</li>
 *   <li>{@link io.supportlm.sft.data.BitextSft}: the Bitext sample as SFT data, by the held-out convention.</li>
 * </ul>
 * See {@code docs/sft.md}.
 */
package io.supportlm.sft.data;
