/**
 * AF_XDP in pure Java (FFM; no C, no libbpf or libxdp): an {@link io.github.geneve4j.linux.xdp.XdpProgram}
 * written in eBPF from Java steers one local IPv4 UDP address and port on a device into
 * {@link io.github.geneve4j.linux.xdp.XdpSocket}s, one per RX queue, and lets everything else (ARP,
 * ping, SSH) through to the kernel. A worker takes a batch of received frames as
 * {@link io.github.geneve4j.linux.xdp.XdpFrames}, builds each reply in the frame it came in, and
 * transmits it from there: no copy in user space, no system call per packet.
 * {@link io.github.geneve4j.linux.xdp.XdpBatchIo} puts one queue's socket behind the endpoint SPI's
 * {@link io.github.geneve4j.endpoint.spi.DatagramBatchIo}, the GWLB appliance's batch I/O
 * ({@code geneve gwlb --io xdp}).
 *
 * <pre>{@code
 * try (XdpProgram program = XdpProgram.attach("eth0", new InetSocketAddress("192.0.2.1", 6081), 1,
 *                 XdpProgram.Mode.AUTO);
 *         XdpSocket socket = XdpSocket.open(program, 0, XdpSocket.Options.DEFAULT)) {
 *     XdpFrames frames = new XdpFrames(64);
 *     while (running) {
 *         int n = socket.receive(frames, 100);
 *         for (int i = 0; i < n; i++) {
 *             // read and rewrite frames.umem() at frames.offset(i), frames.length(i) bytes
 *             frames.reply(i, frames.length(i));
 *         }
 *         socket.transmit(frames);
 *     }
 * }
 * }</pre>
 *
 * <p>Needs Linux 5.9 or newer (XDP links), root or {@code CAP_NET_ADMIN}, {@code CAP_BPF} and
 * {@code CAP_NET_RAW}, and {@code RLIMIT_MEMLOCK} above the UMEM's size or {@code CAP_IPC_LOCK};
 * an {@link io.github.geneve4j.linux.xdp.XdpException} names what is missing. The program goes away
 * with {@code close()} or with the process, however it ends. On a veth pair (6.18) the program runs
 * in native mode and the socket in copy mode: veth has no zero-copy.
 */
package io.github.geneve4j.linux.xdp;
