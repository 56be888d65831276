package io.github.geneve4j.options.cilium;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.GeneveOptionCursor;
import io.github.geneve4j.options.LengthRule;
import io.github.geneve4j.options.OptionClass;
import io.github.geneve4j.options.OptionCodec;
import io.github.geneve4j.options.OptionDescriptor;
import io.github.geneve4j.options.TypedOption;
import io.github.geneve4j.options.internal.Fields;
import io.github.geneve4j.options.internal.Layouts;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;

/**
 * Cilium's Direct Server Return option, class 0x014B, type 0x81 (critical): the service (VIP)
 * address and port a load-balancing node forwarded the packet for, so that the backend answers the
 * client from the service's address. Layout, as Cilium's {@code bpf/lib/tunnel.h} declares it
 * ({@code struct geneve_dsr_opt4} and {@code geneve_dsr_opt6}): the address in network order (4 or 16
 * bytes), the port (2 bytes, network order), 2 bytes of padding — 8 or 20 bytes of data. The padding
 * is ignored on receipt and written as zero.
 *
 * @param service the service address (IPv4 or IPv6)
 * @param port the service port (0..65535)
 */
public record CiliumDsr(InetAddress service, int port) implements TypedOption {

    /** The option's type, 0x81: critical. */
    public static final int TYPE = 0x81;
    /** The option: class 0x014B, type 0x81, 8 bytes (IPv4) or 20 bytes (IPv6). */
    public static final OptionDescriptor<CiliumDsr> DESCRIPTOR = new OptionDescriptor<>(OptionClass.CILIUM, TYPE,
            "Cilium DSR service", LengthRule.range(8, 20),
            OptionCodec.of(CiliumDsr::from, CiliumDsr::fromCursor, CiliumDsr::toOption));

    private static final int V4 = 8;
    private static final int V6 = 20;

    /**
     * Checks the components.
     *
     * @throws IllegalArgumentException if the port is not 0..65535
     */
    public CiliumDsr {
        Objects.requireNonNull(service, "service");
        if (port < 0 || port > 0xFFFF) {
            throw new IllegalArgumentException("Cilium DSR port " + port + " out of range (expected: 0..65535)");
        }
    }

    @Override
    public GeneveOption toOption() {
        byte[] address = service.getAddress();
        byte[] data = new byte[address.length + 4];
        System.arraycopy(address, 0, data, 0, address.length);
        data[address.length] = (byte) (port >>> 8);
        data[address.length + 1] = (byte) port;
        return new GeneveOption(OptionClass.CILIUM, TYPE, data);
    }

    /**
     * The service of a decoded option.
     *
     * @throws GeneveFormatException unless it is this option with 8 or 20 bytes of data
     */
    public static CiliumDsr from(GeneveOption option) {
        Layouts.expect(option, DESCRIPTOR);
        int length = option.dataLength();
        if (length != V4 && length != V6) {
            throw Fields.badLength(DESCRIPTOR, length, "8 bytes (IPv4) or 20 bytes (IPv6)");
        }
        byte[] address = new byte[length - 4];
        System.arraycopy(option.data(), 0, address, 0, address.length);
        return new CiliumDsr(address(address), Fields.u16(option, length - 4));
    }

    private static CiliumDsr fromCursor(GeneveOptionCursor cursor) {
        int port = port(cursor);
        byte[] address = new byte[cursor.dataLength() - 4];
        for (int i = 0; i < address.length; i++) {
            address[i] = (byte) cursor.dataU8(i);
        }
        return new CiliumDsr(address(address), port);
    }

    private static InetAddress address(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes); // 4 or 16 bytes: no lookup, cannot fail
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Whether the cursor's option carries an IPv6 service (20 bytes of data); allocates nothing.
     *
     * @throws GeneveFormatException unless it is this option with 8 or 20 bytes of data
     */
    public static boolean isIpv6(GeneveOptionCursor cursor) {
        return check(cursor) == V6;
    }

    /**
     * The IPv4 service address of the cursor's option, as an {@code int} in network order;
     * allocates nothing.
     *
     * @throws GeneveFormatException as {@link #isIpv6(GeneveOptionCursor)}, or {@code BAD_VALUE} if
     *     it carries an IPv6 address
     */
    public static int ipv4(GeneveOptionCursor cursor) {
        if (check(cursor) != V4) {
            throw Fields.badValue(DESCRIPTOR, cursor, 0, "an IPv6 service, not IPv4");
        }
        return cursor.dataInt(0);
    }

    /**
     * The service port of the cursor's option; allocates nothing.
     *
     * @throws GeneveFormatException as {@link #isIpv6(GeneveOptionCursor)}
     */
    public static int port(GeneveOptionCursor cursor) {
        return cursor.dataU16(check(cursor) - 4);
    }

    private static int check(GeneveOptionCursor cursor) {
        Layouts.expect(cursor, DESCRIPTOR);
        int length = cursor.dataLength();
        if (length != V4 && length != V6) {
            throw Fields.badLength(DESCRIPTOR, cursor, "8 bytes (IPv4) or 20 bytes (IPv6)");
        }
        return length;
    }

    /** The address family's name and the service: {@code CiliumDsr[10.0.0.1 port 8080]}. */
    @Override
    public String toString() {
        String host = service.getHostAddress();
        return "CiliumDsr[" + (service instanceof Inet6Address ? "[" + host + "]" : host) + " port " + port + "]";
    }

}
