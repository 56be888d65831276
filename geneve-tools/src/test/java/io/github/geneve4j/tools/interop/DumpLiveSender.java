package io.github.geneve4j.tools.interop;

import io.github.geneve4j.testing.Hex;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;

/**
 * The peer of {@link DumpLiveTest}, run in its first namespace:
 * {@code DumpLiveSender IPV4_LOCAL IPV4_REMOTE IPV6_LOCAL IPV6_REMOTE}. Sends UDP to a port that is
 * not Geneve's, then six Geneve datagrams (IPv4 to 6081, IPv6 to 7000 with GWLB options, one with a
 * malformed header); prints the number of Geneve datagrams sent.
 */
public final class DumpLiveSender {

    static final int GENEVE_DATAGRAMS = 6;

    private DumpLiveSender() {
    }

    public static void main(String[] args) throws Exception {
        byte[] inner = Hex.bytes("02 00 00 00 00 02 02 00 00 00 00 01 08 00 45 00 00 14 00 01 00 00 40 01 00 00"
                + " 0a 00 00 01 0a 00 00 02");
        byte[] plain = concat(Hex.bytes("00 00 65 58 00 13 88 00"), inner); // VNI 5000, no options
        byte[] gwlb = concat(Hex.bytes("08 00 65 58 00 17 70 00 | 01 08 01 02 11 22 33 44 55 66 77 88"
                + " | 01 08 02 02 99 aa bb cc dd ee ff 00 | 01 08 03 01 12 34 56 78"), inner); // VNI 6000
        byte[] malformed = Hex.bytes("40 00 65 58 00 13 88 00"); // version 1
        int sent = 0;
        try (DatagramChannel v4 = DatagramChannel.open(); DatagramChannel v6 = DatagramChannel.open()) {
            v4.bind(new InetSocketAddress(args[0], 0));
            v6.bind(new InetSocketAddress(args[2], 0));
            v4.send(ByteBuffer.wrap(plain), new InetSocketAddress(args[1], 6082)); // not a Geneve port here
            v6.send(ByteBuffer.wrap(plain), new InetSocketAddress(args[3], 4789));
            for (byte[] datagram : new byte[][] {plain, plain, malformed}) {
                v4.send(ByteBuffer.wrap(datagram), new InetSocketAddress(args[1], 6081));
                sent++;
            }
            for (byte[] datagram : new byte[][] {gwlb, gwlb, plain}) {
                v6.send(ByteBuffer.wrap(datagram), new InetSocketAddress(args[3], 7000));
                sent++;
            }
        }
        System.out.println(sent);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        return ByteBuffer.allocate(a.length + b.length).put(a).put(b).array();
    }
}
