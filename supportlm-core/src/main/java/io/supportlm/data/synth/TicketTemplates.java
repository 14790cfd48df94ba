package io.supportlm.data.synth;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/** The phrase bank in {@code ticket-templates.yaml} (a resource next to this class). */
record TicketTemplates(List<Category> categories, List<String> greetings, List<String> closings, List<String> names,
                       List<String> urgent, List<String> relaxed, List<String> nonActionable, List<String> noise, List<String> ambiguous,
                       List<String> products, List<String> features, List<String> devices, List<String> plans,
                       List<String> carriers, List<String> cities, List<String> errors, Map<String, String> answers) {

    record Category(String queue, String name, String basePriority, String resolution, List<String> subjects,
                    List<String> openings, List<String> withInfo, List<String> withoutInfo) {}

    static TicketTemplates load() {
        try (InputStream in = TicketTemplates.class.getResourceAsStream("ticket-templates.yaml")) {
            if (in == null) {
                throw new IllegalStateException("resource ticket-templates.yaml is missing from the jar");
            }
            return YAMLMapper.builder().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build()
                    .readValue(in, TicketTemplates.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read ticket-templates.yaml", e);
        }
    }
}
