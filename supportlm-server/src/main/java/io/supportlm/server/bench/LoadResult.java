package io.supportlm.server.bench;

import java.util.Arrays;
import java.util.List;

/**
 * What a {@link LoadGenerator} run measured: successful requests with their latencies (sorted),
 * the time to the first unit of each (streams), the units carried, failed requests and the first
 * few reasons.
 *
 * @param elapsedNanos from the first request sent to the last answer complete
 */
public record LoadResult(int clients, long elapsedNanos, long[] latencies, long[] firstUnitLatencies, long units,
                         long errors, List<String> failures) {
    public LoadResult {
        latencies = latencies.clone();
        Arrays.sort(latencies);
        firstUnitLatencies = firstUnitLatencies.clone();
        Arrays.sort(firstUnitLatencies);
        failures = List.copyOf(failures);
    }

    public long requests() {
        return latencies.length;
    }

    public double seconds() {
        return elapsedNanos / 1e9;
    }

    /** Successful requests per second. */
    public double requestsPerSecond() {
        return requests() / seconds();
    }

    /** Units (completion tokens) per second over the whole run, all clients together. */
    public double unitsPerSecond() {
        return units / seconds();
    }

    /** The latency at quantile {@code q} in milliseconds (nearest rank), NaN without requests. */
    public double latencyMs(double q) {
        return quantileMs(latencies, q);
    }

    /** Time to the first unit at quantile {@code q} in milliseconds, NaN when not measured. */
    public double firstUnitMs(double q) {
        return quantileMs(firstUnitLatencies, q);
    }

    static double quantileMs(long[] sorted, double q) {
        if (!(q >= 0 && q <= 1)) {
            throw new IllegalArgumentException("quantile must be in [0, 1], got " + q);
        }
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, rank - 1)] / 1e6;
    }
}
