package io.github.geneve4j.tools.interop;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The counters of a {@code geneve vtep --stats} line. */
record VtepStats(String line, long toTunnelPackets, long toTapPackets, long superFrames, long segments,
        long coalescedWrites, long coalescedDatagrams, long udpSends, long udpReceives, Map<String, Long> drops) {

    private static final Pattern LINE = Pattern.compile("stats: tap->tunnel (\\d+) packets \\d+ bytes, tunnel->tap (\\d+)"
            + " packets \\d+ bytes, gso (\\d+) super-frames into (\\d+) segments \\([0-9.]+ each\\), gro (\\d+) writes of"
            + " (\\d+) datagrams \\([0-9.]+ each\\), udp (\\d+) sends (\\d+) receives, drops \\{(.*)\\}");

    static VtepStats parse(String line) {
        Matcher m = LINE.matcher(line);
        if (!m.find()) {
            throw new IllegalArgumentException("not a stats line: " + line);
        }
        Map<String, Long> drops = new LinkedHashMap<>();
        if (!m.group(9).isBlank()) {
            for (String entry : m.group(9).split(", ")) {
                int eq = entry.lastIndexOf('=');
                drops.put(entry.substring(0, eq), Long.parseLong(entry.substring(eq + 1)));
            }
        }
        return new VtepStats(line, Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)),
                Long.parseLong(m.group(4)), Long.parseLong(m.group(5)), Long.parseLong(m.group(6)),
                Long.parseLong(m.group(7)), Long.parseLong(m.group(8)), drops);
    }

    /** The last stats line of a log, after waiting for one printed after now (the vtep prints every second). */
    static VtepStats last(Path log) throws Exception {
        long lines = count(log);
        for (int i = 0; i < 60 && count(log) <= lines; i++) {
            TimeUnit.MILLISECONDS.sleep(100);
        }
        String last = Files.readAllLines(log).stream().filter(l -> l.startsWith("stats: ")).reduce((x, y) -> y)
                .orElseThrow(() -> new AssertionError("no stats line in " + log));
        return parse(last);
    }

    private static long count(Path log) throws Exception {
        return Files.readAllLines(log).stream().filter(l -> l.startsWith("stats: ")).count();
    }
}
