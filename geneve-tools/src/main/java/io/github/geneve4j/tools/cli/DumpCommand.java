package io.github.geneve4j.tools.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.github.geneve4j.codec.GeneveOptionCursor;
import io.github.geneve4j.codec.GeneveView;
import io.github.geneve4j.pcap.CaptureFormatException;
import io.github.geneve4j.pcap.CaptureReader;
import io.github.geneve4j.pcap.CapturedPacket;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code geneve dump}: every Geneve packet of a capture as one JSON object per line.
 *
 * <p>The output is a contract other tools parse; its fields are documented in the README.
 */
@Command(name = "dump",
        mixinStandardHelpOptions = true,
        description = {
            "Print every Geneve packet of pcap/pcapng captures as one JSON object per line.",
            "Link types: Ethernet, raw IP, Linux cooked (SLL, SLL2). Packets that are not UDP to the",
            "Geneve port are skipped; a malformed Geneve header prints {\"frame\":N,\"error\":...}."
        },
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:all files read", "2:a file is missing, is not a capture, or is cut short"})
final class DumpCommand implements Callable<Integer> {

    @Option(names = "--port", defaultValue = "6081", paramLabel = "PORT",
            description = "UDP destination port of Geneve (default: ${DEFAULT-VALUE}).")
    int port;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Capture files (pcap or pcapng).")
    List<Path> files;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private static final JsonFactory JSON = JsonFactory.builder().build();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (port < 0 || port > 0xFFFF) {
            err.println("geneve dump: --port " + port + " is not a UDP port (0..65535)");
            return 2;
        }
        int code = 0;
        for (Path file : files) {
            try {
                dump(file, out);
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
        out.flush();
        return code;
    }

    private void dump(Path file, PrintWriter out) throws IOException {
        OuterUdp udp = new OuterUdp();
        GeneveView view = new GeneveView();
        try (CaptureReader reader = CaptureReader.open(file)) {
            for (CapturedPacket packet : reader) {
                if (!udp.locate(packet.linkType(), packet.data()) || udp.destinationPort != port) {
                    continue;
                }
                var geneve = packet.data().asSlice(udp.payloadOffset, udp.payloadLength);
                out.println(view.tryWrap(geneve, 0)
                        ? json(packet.frame(), udp, view)
                        : error(packet.frame(), view));
            }
        } catch (UncheckedIOException e) {
            // the packets before the damage are printed; call() reports the CaptureFormatException
            throw e.getCause();
        }
    }

    static String json(long frame, OuterUdp udp, GeneveView view) throws IOException {
        StringWriter text = new StringWriter(256);
        try (JsonGenerator g = JSON.createGenerator(text)) {
            g.writeStartObject();
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

    static String error(long frame, GeneveView view) throws IOException {
        StringWriter text = new StringWriter(128);
        try (JsonGenerator g = JSON.createGenerator(text)) {
            g.writeStartObject();
            g.writeNumberField("frame", frame);
            g.writeStringField("error", view.errorReason().name());
            g.writeNumberField("offset", view.errorOffset());
            g.writeStringField("message", view.errorMessage());
            g.writeEndObject();
        }
        return text.toString();
    }
}
