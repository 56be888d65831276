package io.github.geneve4j.tools.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.github.geneve4j.codec.Geneve;
import io.github.geneve4j.codec.GeneveOptionCursor;
import io.github.geneve4j.codec.GeneveView;
import io.github.geneve4j.linux.PacketCapture;
import io.github.geneve4j.options.TrafficSummary;
import io.github.geneve4j.pcap.CaptureFormatException;
import io.github.geneve4j.pcap.CaptureReader;
import io.github.geneve4j.pcap.CapturedPacket;
import io.github.geneve4j.pcap.LinkType;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code geneve dump}: every Geneve packet of a capture, or of an interface live ({@code -i}, through
 * {@code geneve-linux}'s {@link PacketCapture}), as one JSON object per line, or with
 * {@code --summary} a line per VNI (counted by the library's {@link TrafficSummary}).
 *
 * <p>The output is a contract other tools parse; its fields are documented in the README.
 */
@Command(name = "dump",
        mixinStandardHelpOptions = true,
        description = {
            "Print every Geneve packet of pcap/pcapng captures, or of a network interface live (-i), as one "
                    + "JSON object per line.",
            "Link types: Ethernet, raw IP, Linux cooked (SLL, SLL2). Packets that are not UDP to a "
                    + "Geneve port are skipped; a malformed Geneve header prints a line with an \"error\" field. "
                    + "With --summary, one line per VNI instead, then a line of totals. A live capture "
                    + "ends on Ctrl-C or at --count and prints to stderr the packets seen, those the kernel "
                    + "dropped and the per-VNI counts; it needs CAP_NET_RAW (root)."
        },
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:all files read, or the live capture ended",
            "2:a file is missing, is not a capture, or is cut short; the interface cannot be captured on"})
final class DumpCommand implements Callable<Integer> {

    @Option(names = "--port", paramLabel = "PORT",
            description = "UDP destination port of Geneve; repeat for several (default: 6081).")
    List<Integer> ports = new ArrayList<>();

    @Option(names = "--summary",
            description = "Print per VNI the packets, bytes, inner protocols and option kinds seen, "
                    + "instead of a line per packet.")
    boolean summary;

    @Option(names = {"-i", "--interface"}, paramLabel = "IFACE",
            description = "Capture live on this interface instead of reading files (needs CAP_NET_RAW).")
    String iface;

    @Option(names = "--count", paramLabel = "N",
            description = "Stop after N Geneve packets (default: all; live, until Ctrl-C).")
    long count;

    @Parameters(arity = "0..*", paramLabel = "FILE", description = "Capture files (pcap or pcapng).")
    List<Path> files = new ArrayList<>();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private static final JsonFactory JSON = JsonFactory.builder().build();

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if ((iface == null) == files.isEmpty()) {
            err.println("geneve dump: give capture files or -i IFACE (one of them)");
            return 2;
        }
        if (count < 0) {
            err.println("geneve dump: --count " + count + " is not a number of packets (0 for all)");
            return 2;
        }
        boolean[] geneve = new boolean[0x10000];
        if (ports.isEmpty()) {
            geneve[Geneve.UDP_PORT] = true;
        }
        for (int port : ports) {
            if (port < 0 || port > 0xFFFF) {
                err.println("geneve dump: --port " + port + " is not a UDP port (0..65535)");
                return 2;
            }
            geneve[port] = true;
        }
        if (iface != null) {
            return live(geneve, out, err);
        }
        Frames frames = new Frames(geneve, summary ? new TrafficSummary() : null, !summary, out);
        int code = 0;
        for (Path file : files) {
            if (frames.done()) {
                break;
            }
            try {
                dump(file, files.size() > 1 ? file.toString() : null, frames);
            } catch (NoSuchFileException e) {
                out.flush();
                err.println("geneve dump: " + file + ": no such file");
                code = 2;
            } catch (CaptureFormatException e) {
                out.flush();
                err.println("geneve dump: " + file + ": " + e.getMessage());
                code = 2;
            } catch (IOException e) {
                out.flush();
                err.println("geneve dump: " + file + ": " + e);
                code = 2;
            }
        }
        if (frames.totals != null) {
            printSummary(frames.totals, out);
        }
        out.flush();
        return code;
    }

    /**
     * What a packet of a file or of the interface goes through: the outer UDP found, its Geneve
     * header read, a line printed and/or the summary counted. One per run: its views are reused.
     */
    final class Frames {
        private final OuterUdp udp = new OuterUdp();
        private final GeneveView view = new GeneveView();
        private final boolean[] geneve;
        private final boolean lines;
        private final PrintWriter out;
        final TrafficSummary totals;
        /** Geneve packets so far (what --count counts). */
        long packets;

        Frames(boolean[] geneve, TrafficSummary totals, boolean lines, PrintWriter out) {
            this.geneve = geneve;
            this.totals = totals;
            this.lines = lines;
            this.out = out;
        }

        /** Whether --count packets have been seen. */
        boolean done() {
            return count > 0 && packets >= count;
        }

        /** Frame number {@code frame} of {@code file} (null: the only one, or live), on a link of {@code linkType}. */
        void frame(String file, long frame, int linkType, MemorySegment data) throws IOException {
            if (!udp.locate(linkType, data) || !geneve[udp.destinationPort]) {
                return;
            }
            packets++;
            MemorySegment payload = data.asSlice(udp.payloadOffset, udp.payloadLength);
            boolean ok = view.tryWrap(payload, 0);
            if (totals != null) {
                if (ok) {
                    totals.add(view, udp.payloadLength);
                } else {
                    totals.addMalformed();
                }
            }
            if (lines) {
                out.println(ok ? json(file, frame, udp, view) : error(file, frame, view));
            }
        }
    }

    private void dump(Path file, String name, Frames frames) throws IOException {
        try (CaptureReader reader = CaptureReader.open(file)) {
            for (CapturedPacket packet : reader) {
                frames.frame(name, packet.frame(), packet.linkType(), packet.data());
                if (frames.done()) {
                    return;
                }
            }
        } catch (UncheckedIOException e) {
            // the packets before the damage are printed; call() reports the CaptureFormatException
            throw e.getCause();
        }
    }

    /**
     * {@code -i}: the capture loop of {@link PacketCapture#run} until Ctrl-C (a shutdown hook closes
     * the capture, which ends the loop, and waits for the summary) or {@code --count}; then the
     * summary. {@code frame} numbers the frames the kernel's filter let through, as a capture file
     * written with the same filter would.
     */
    private int live(boolean[] geneve, PrintWriter out, PrintWriter err) throws IOException {
        List<Integer> portList = new ArrayList<>();
        for (int port = 0; port < geneve.length; port++) {
            if (geneve[port]) {
                portList.add(port);
            }
        }
        PacketCapture capture;
        try {
            capture = PacketCapture.open(iface, portList, CAPTURE_BUFFER);
        } catch (IOException | IllegalArgumentException e) {
            err.println("geneve dump: " + e.getMessage());
            return 2;
        }
        err.println("geneve dump: capturing on " + iface + ", UDP to port"
                + (portList.size() > 1 ? "s " : " ") + String.join(", ", portList.stream().map(String::valueOf).toList())
                + (count > 0 ? ", until " + count + " Geneve packets" : "") + " (Ctrl-C stops)");
        err.flush();
        Frames frames = new Frames(geneve, new TrafficSummary(), !summary, out);
        CountDownLatch summarised = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            capture.close();
            try {
                summarised.await(5, TimeUnit.SECONDS); // let the capture thread print the summary before the JVM ends
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "geneve-dump-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        long[] seen = {0};
        int code = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(PacketCapture.DEFAULT_CAPACITY);
            capture.run(buffer, (b, frame) -> {
                seen[0]++;
                frames.frame(null, seen[0], LinkType.ETHERNET, b.asSlice(0, frame.capturedLength()));
                out.flush(); // a line as its packet comes: a live reader (jq, a pipe) must not wait for a buffer to fill
                return !frames.done();
            });
        } catch (IOException e) {
            out.flush();
            err.println("geneve dump: " + iface + ": " + e.getMessage());
            code = 2;
        } finally {
            capture.close();
            try {
                PacketCapture.Statistics kernel = capture.statistics();
                printSummary(frames.totals, summary ? out : err);
                printCapture(iface, seen[0], kernel, err);
                out.flush();
                err.flush();
            } finally {
                summarised.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // Ctrl-C: the hook is running and ends now
                }
            }
        }
        return code;
    }

    /** The live capture's receive buffer: bursts of a busy link wait there while lines are printed. */
    private static final int CAPTURE_BUFFER = 4 << 20;

    /** The live capture's last line (the README's "dump output" describes the fields). */
    static void printCapture(String iface, long seen, PacketCapture.Statistics kernel, PrintWriter err)
            throws IOException {
        StringWriter text = new StringWriter(128);
        try (JsonGenerator g = JSON.createGenerator(text)) {
            g.writeStartObject();
            g.writeObjectFieldStart("capture");
            g.writeStringField("interface", iface);
            g.writeNumberField("packets", seen);
            g.writeNumberField("kernelPackets", kernel.packets());
            g.writeNumberField("kernelDrops", kernel.drops());
            g.writeEndObject();
            g.writeEndObject();
        }
        err.println(text);
    }

    /** One line per VNI, then the totals (the README's "dump output" describes the fields). */
    static void printSummary(TrafficSummary totals, PrintWriter out) throws IOException {
        for (TrafficSummary.Vni v : totals.vnis().values()) {
            StringWriter text = new StringWriter(256);
            try (JsonGenerator g = JSON.createGenerator(text)) {
                g.writeStartObject();
                g.writeNumberField("vni", v.vni());
                g.writeNumberField("packets", v.packets());
                g.writeNumberField("bytes", v.bytes());
                g.writeArrayFieldStart("protocolTypes");
                for (var p : v.protocolTypes().entrySet()) {
                    g.writeStartObject();
                    g.writeNumberField("protocolType", p.getKey());
                    g.writeNumberField("packets", p.getValue());
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeArrayFieldStart("options");
                for (var o : v.options().entrySet()) {
                    int cls = o.getKey().optionClass();
                    int type = o.getKey().type();
                    g.writeStartObject();
                    g.writeNumberField("class", cls);
                    g.writeStringField("className", OptionNames.className(cls));
                    g.writeNumberField("type", type);
                    String optionName = OptionNames.name(cls, type);
                    if (optionName == null) {
                        g.writeNullField("name");
                    } else {
                        g.writeStringField("name", optionName);
                    }
                    g.writeNumberField("count", o.getValue());
                    g.writeEndObject();
                }
                g.writeEndArray();
                if (v.untrackedProtocols() > 0 || v.untrackedOptions() > 0) {
                    g.writeNumberField("untrackedProtocols", v.untrackedProtocols());
                    g.writeNumberField("untrackedOptions", v.untrackedOptions());
                }
                g.writeEndObject();
            }
            out.println(text);
        }
        StringWriter text = new StringWriter(128);
        try (JsonGenerator g = JSON.createGenerator(text)) {
            g.writeStartObject();
            g.writeObjectFieldStart("total");
            g.writeNumberField("packets", totals.packets());
            g.writeNumberField("bytes", totals.bytes());
            g.writeNumberField("vnis", totals.vnis().size());
            g.writeNumberField("malformed", totals.malformed());
            g.writeNumberField("untrackedPackets", totals.untrackedPackets());
            g.writeEndObject();
            g.writeEndObject();
        }
        out.println(text);
    }

    static String json(String file, long frame, OuterUdp udp, GeneveView view) throws IOException {
        StringWriter text = new StringWriter(256);
        try (JsonGenerator g = JSON.createGenerator(text)) {
            g.writeStartObject();
            if (file != null) {
                g.writeStringField("file", file);
            }
            g.writeNumberField("frame", frame);
            g.writeObjectFieldStart("outer");
            g.writeStringField("src", udp.source());
            g.writeStringField("dst", udp.destination());
            g.writeNumberField("srcPort", udp.sourcePort);
            g.writeNumberField("dstPort", udp.destinationPort);
            g.writeEndObject();
            g.writeNumberField("vni", view.vni());
            g.writeNumberField("protocolType", view.protocolType());
            g.writeBooleanField("oam", view.oam());
            g.writeBooleanField("critical", view.critical());
            g.writeNumberField("optionsLength", view.optionsLength());
            g.writeArrayFieldStart("options");
            for (GeneveOptionCursor o = view.options(); o.next(); ) {
                g.writeStartObject();
                g.writeNumberField("class", o.optionClass());
                g.writeStringField("className", OptionNames.className(o.optionClass()));
                g.writeNumberField("type", o.type());
                g.writeBooleanField("critical", o.critical());
                g.writeNumberField("length", o.dataLength());
                g.writeStringField("data", HexFormat.of().formatHex(o.data()));
                String name = OptionNames.name(o.optionClass(), o.type());
                if (name == null) {
                    g.writeNullField("name");
                } else {
                    g.writeStringField("name", name);
                }
                OptionNames.writeValue(g, o);
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeNumberField("payloadLength", view.payloadLength());
            g.writeEndObject();
        }
        return text.toString();
    }

    static String error(String file, long frame, GeneveView view) throws IOException {
        StringWriter text = new StringWriter(128);
        try (JsonGenerator g = JSON.createGenerator(text)) {
            g.writeStartObject();
            if (file != null) {
                g.writeStringField("file", file);
            }
            g.writeNumberField("frame", frame);
            g.writeStringField("error", view.errorReason().name());
            g.writeNumberField("offset", view.errorOffset());
            g.writeStringField("message", view.errorMessage());
            g.writeEndObject();
        }
        return text.toString();
    }
}
