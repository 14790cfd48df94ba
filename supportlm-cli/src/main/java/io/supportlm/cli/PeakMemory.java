package io.supportlm.cli;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

/**
 * The process's peak memory, two ways: resident set size (Linux's {@code VmHWM}: everything the
 * process touched, mapped weights and native memory included, and as much heap as the collector
 * let grow) and the peak <em>live</em> heap — the most the heap held right
 * after a collection, once {@link #trackLiveHeap} is on: what the run really needed (QLoRA's
 * quantized copies, activations, optimizer state), independent of how lazily the collector ran.
 */
final class PeakMemory {
    private PeakMemory() {}

    private static final AtomicLong PEAK_LIVE = new AtomicLong(-1);

    private static final AtomicBoolean TRACKING = new AtomicBoolean();

    /** Starts recording the heap in use after every collection (once per JVM; later calls do nothing). */
    static void trackLiveHeap() {
        if (!TRACKING.compareAndSet(false, true)) {
            return;
        }
        Set<String> heapPools = new HashSet<>();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                heapPools.add(pool.getName());
            }
        }
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter emitter) {
                emitter.addNotificationListener((notification, handback) -> {
                    if (!notification.getType().equals(GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION)) {
                        return;
                    }
                    var info = GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
                    long live = 0;
                    for (var e : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
                        if (heapPools.contains(e.getKey())) {
                            live += e.getValue().getUsed();
                        }
                    }
                    PEAK_LIVE.accumulateAndGet(live, Math::max);
                }, null, null);
            }
        }
    }

    /** The most heap in use right after a collection since {@link #trackLiveHeap}, or -1 before any. */
    static long peakLiveHeapBytes() {
        return PEAK_LIVE.get();
    }


    /** Peak resident set size in bytes, or -1 where {@code /proc/self/status} is not available. */
    static long peakRssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    String[] parts = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024; // reported in kB
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }


    static String describe() {
        long rss = peakRssBytes();
        long live = peakLiveHeapBytes();
        return String.format("peak memory: %s resident, %s live Java heap", rss < 0 ? "unknown" : String.format("%.0f MiB", rss / 1048576.0),
                live < 0 ? "unmeasured" : String.format("%.0f MiB", live / 1048576.0));
    }
}
