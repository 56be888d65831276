package io.github.geneve4j.tools.cli;

import io.github.geneve4j.codec.GeneveOption;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.HexFormat;
import picocli.CommandLine;

/** Parsers for the command-line values shared by several commands. */
public final class Converters {

    private Converters() {
    }

    /** {@code CLASS:TYPE:HEX}, numbers in decimal or 0x-hex: {@code 0xffff:0x80:a1b2c3d4}. */
    public static final class OptionConverter implements CommandLine.ITypeConverter<GeneveOption> {
        @Override
        public GeneveOption convert(String value) {
            String[] parts = value.split(":", -1);
            if (parts.length != 3) {
                throw new CommandLine.TypeConversionException(
                        "'" + value + "' is not CLASS:TYPE:HEX (for example 0xffff:0x80:a1b2c3d4)");
            }
            try {
                byte[] data = HexFormat.of().parseHex(parts[2]);
                return new GeneveOption(number(parts[0]), number(parts[1]), data);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException("option '" + value + "': " + e.getMessage());
            }
        }
    }

    static int number(String text) {
        String t = text.trim().toLowerCase();
        return t.startsWith("0x") ? Integer.parseInt(t.substring(2), 16) : Integer.parseInt(t);
    }

    /** {@code ADDR[:PORT]} or {@code [IPV6][:PORT]}; the port defaults to Geneve's 6081. */
    public static final class SocketConverter implements CommandLine.ITypeConverter<InetSocketAddress> {
        @Override
        public InetSocketAddress convert(String value) {
            return socket(value, 6081);
        }
    }

    static InetSocketAddress socket(String value, int defaultPort) {
        String host = value;
        int port = defaultPort;
        if (value.startsWith("[")) {
            int close = value.indexOf(']');
            if (close < 0) {
                throw new CommandLine.TypeConversionException("'" + value + "': missing ']'");
            }
            host = value.substring(1, close);
            if (close + 1 < value.length()) {
                if (value.charAt(close + 1) != ':') {
                    throw new CommandLine.TypeConversionException("'" + value + "' is not [ADDR]:PORT");
                }
                port = port(value, value.substring(close + 2));
            }
        } else if (value.indexOf(':') >= 0 && value.indexOf(':') == value.lastIndexOf(':')) {
            host = value.substring(0, value.indexOf(':'));
            port = port(value, value.substring(value.indexOf(':') + 1));
        }
        if (!host.matches("[0-9.]+|[0-9a-fA-F:.]+")) {
            throw new CommandLine.TypeConversionException("'" + host + "' is not an IP address");
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new CommandLine.TypeConversionException("'" + host + "' is not an IP address");
        }
    }

    private static int port(String value, String text) {
        try {
            int port = Integer.parseInt(text);
            if (port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return port;
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException("'" + value + "': port '" + text + "' is not 0..65535");
        }
    }

    /** {@code ADDR:PORT} with the port given (no default port for a metrics listener): {@code 127.0.0.1:9464}, {@code [::1]:9464}. */
    public static final class MetricsAddressConverter implements CommandLine.ITypeConverter<InetSocketAddress> {
        @Override
        public InetSocketAddress convert(String value) {
            boolean port = value.startsWith("[") ? value.contains("]:") : value.indexOf(':') > 0
                    && value.indexOf(':') == value.lastIndexOf(':');
            if (!port) {
                throw new CommandLine.TypeConversionException("'" + value + "' (expected: ADDR:PORT, e.g. 127.0.0.1:9464)");
            }
            return new SocketConverter().convert(value);
        }
    }
}
