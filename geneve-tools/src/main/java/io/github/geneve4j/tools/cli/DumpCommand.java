package io.github.geneve4j.tools.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.github.geneve4j.codec.Geneve;
import io.github.geneve4j.codec.GeneveOptionCursor;
import io.github.geneve4j.codec.GeneveView;
import io.github.geneve4j.options.TrafficSummary;
import io.github.geneve4j.pcap.CaptureFormatException;
import io.github.geneve4j.pcap.CaptureReader;
import io.github.geneve4j.pcap.CapturedPacket;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code geneve dump}: every Geneve packet of a capture as one JSON object per line, or with
 * {@code --summary} a line per VNI (counted by the library's {@link TrafficSummary}).
 *
 * <p>The output is a contract other tools parse; its fields are documented in the README.
 */
@Command(name = "dump",
        mixinStandardHelpOptions = true,
        description = {
            "Print every Geneve packet of pcap/pcapng captures as one JSON object per line.",
            "Link types: Ethernet, raw IP, Linux cooked (SLL, SLL2). Packets that are not UDP to a "
                    + "Geneve port are skipped; a malformed Geneve header prints a line with an \"error\" field. "
                    + "With --summary, one line per VNI instead, then a line of totals."
        },
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:all files read", "2:a file is missing, is not a capture, or is cut short"})
final class DumpCommand implements Callable<Integer> {

    @Option(names = "--port", paramLabel = "PORT",
            description = "UDP destination port of Geneve; repeat for several (default: 6081).")
    List<Integer> ports = new ArrayList<>();

    @Option(names = "--summary",
            description = "Print per VNI the packets, bytes, inner protocols and option kinds seen, "
                    + "instead of a line per packet.")
    boolean summary;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Capture files (pcap or pcapng).")
    List<Path> files;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private static final JsonFactory JSON = JsonFactory.builder().build();

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
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
        TrafficSummary totals = summary ? new TrafficSummary() : null;
        int code = 0;
        for (Path file : files) {
            try {
                dump(file, files.size() > 1 ? file.toString() : null, geneve, totals, out);
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
        if (totals != null) {
            printSummary(totals, out);
        }
        out.flush();
        return code;
    }

    private void dump(Path file, String name, boolean[] geneve, TrafficSummary totals, PrintWriter out)
            throws IOException {
        OuterUdp udp = new OuterUdp();
        GeneveView view = new GeneveView();
        try (CaptureReader reader = CaptureReader.open(file)) {
            for (CapturedPacket packet : reader) {
                if (!udp.locate(packet.linkType(), packet.data()) || !geneve[udp.destinationPort]) {
                    continue;
                }
                var payload = packet.data().asSlice(udp.payloadOffset, udp.payloadLength);
                boolean ok = view.tryWrap(payload, 0);
                if (totals != null) {
                    if (ok) {
                        totals.add(view, udp.payloadLength);
                    } else {
                        totals.addMalformed();
                    }
                } else {
                    out.println(ok ? json(name, packet.frame(), udp, view) : error(name, packet.frame(), view));
                }
            }
        } catch (UncheckedIOException e) {
            // the packets before the damage are printed; call() reports the CaptureFormatException
            throw e.getCause();
        }
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
