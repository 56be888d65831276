package io.github.geneve4j.tools.interop;

import io.github.geneve4j.gwlb.GwlbAppliance;
import io.github.geneve4j.gwlb.GwlbHealthServer;
import io.github.geneve4j.gwlb.GwlbVerdict;
import io.github.geneve4j.linux.RawIpv4Socket;
import io.github.geneve4j.linux.UdpSocket;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;

/**
 * An appliance built with the API, run in a namespace by {@link GwlbNetnsTest}: its inspector drops
 * TCP to port 23, rewrites TCP to port 80 into port 8080 (asking for the checksums to be fixed), and
 * throws on UDP to port 666 (a bug that ends its receive thread: the health port turns 503).
 * Arguments: {@code LOCAL HEALTH_PORT SECONDS}.
 */
public final class GwlbHookedAppliance {

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    public static void main(String[] args) throws Exception {
        InetSocketAddress local = new InetSocketAddress(InetAddress.getByName(args[0]), 6081);
        try (GwlbAppliance appliance = GwlbAppliance.builder()
                .transport(UdpSocket.open(local, 1 << 20), RawIpv4Socket.open())
                .gwlbSource(local.getAddress(), 24) // the stand-in, on the appliance's subnet
                .inspector(p -> {
                    if (p.protocol() == 6 && p.destinationPort() == 23) {
                        return GwlbVerdict.DROP;
                    }
                    if (p.protocol() == 6 && p.destinationPort() == 80) {
                        p.segment().set(U16, p.transportOffset() + 2, (short) 8080);
                        p.rewritten();
                    }
                    if (p.protocol() == 17 && p.destinationPort() == 666) {
                        throw new IllegalStateException("inspector bug on port 666");
                    }
                    return GwlbVerdict.FORWARD;
                }).start();
                GwlbHealthServer health = GwlbHealthServer.start(appliance,
                        new InetSocketAddress(local.getAddress(), Integer.parseInt(args[1])))) {
            System.out.println("hooked appliance ready");
            Thread.sleep(Long.parseLong(args[2]) * 1000);
            System.out.println(appliance.stats());
        }
    }
}
