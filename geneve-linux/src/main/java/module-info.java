/**
 * Linux devices for {@code geneve-endpoint} through {@code java.lang.foreign} (FFM; no JNI, no
 * native library of ours): {@link io.github.geneve4j.linux.Tap}, a TAP device with virtio-net
 * offloads, as a {@link io.github.geneve4j.endpoint.spi.FrameDevice}, and
 * {@link io.github.geneve4j.linux.UdpSocket}, a UDP socket with {@code UDP_SEGMENT} and
 * {@code UDP_GRO}, as a {@link io.github.geneve4j.endpoint.spi.DatagramTransport}, and
 * {@link io.github.geneve4j.linux.RawIpv4Socket}, the raw IPv4 socket a GWLB appliance answers through
 * (a {@link io.github.geneve4j.endpoint.spi.RawIpv4Sender}); {@code Tap.openTun} opens a TUN device.
 *
 * <pre>{@code
 * try (Tap tap = Tap.open("geneve0", true);
 *         UdpSocket udp = UdpSocket.open(new InetSocketAddress("192.0.2.1", 6081), 4 << 20)) {
 *     // hand both to a GeneveEndpoint builder
 * }
 * }</pre>
 *
 * <p>Linux on x86-64 or aarch64. The module calls restricted methods ({@code Linker.downcallHandle},
 * {@code MemorySegment.reinterpret}); grant it native access with
 * {@code --enable-native-access=io.github.geneve4j.linux} on the module path, or
 * {@code --enable-native-access=ALL-UNNAMED} when its jar is on the class path (an executable jar can
 * say {@code Enable-Native-Access: ALL-UNNAMED} in its manifest, as the {@code geneve} tool's does).
 * Without it, JDK 22 to 25 print a warning on first use. A TAP needs root or {@code CAP_NET_ADMIN}
 * and {@code /dev/net/tun}; the UDP socket needs no privileges.
 *
 * <p>Both classes take native memory only and allocate nothing per frame or datagram; a call waiting
 * in one thread ends promptly with {@link java.nio.channels.ClosedChannelException} when another
 * closes the object, and a descriptor is never closed under a call still using it.
 */
module io.github.geneve4j.linux {
    requires transitive io.github.geneve4j.endpoint;

    exports io.github.geneve4j.linux;
    exports io.github.geneve4j.linux.xdp;
}
