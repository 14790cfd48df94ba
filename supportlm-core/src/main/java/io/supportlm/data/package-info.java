/**
 * Support data: the layer every later stage trusts.
 *
 * <ul>
 *   <li>{@link io.supportlm.data.SupportRecord} is the one schema; {@link io.supportlm.data.Jsonl} its canonical
 *       on-disk form.</li>
 *   <li>{@code ingest}: foreign files (CSV/TSV/JSON/JSONL) through a column mapping into records; every row is
 *       accepted, rejected with file, line and reason, or dropped as a duplicate, and the counts reconcile.</li>
 *   <li>{@code pii}: the standalone redactor (also used by the server).</li>
 *   <li>{@code split}: deterministic, stratified splits with a leakage check; {@code report}: Markdown and PNG
 *       statistics; {@code synth}: synthetic labelled tickets; {@code label}: teacher labelling over an
 *       OpenAI-compatible endpoint.</li>
 * </ul>
 * See {@code docs/data.md}.
 */
package io.supportlm.data;
