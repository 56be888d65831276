package io.github.geneve4j.netty;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.SocketProtocolFamily;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Real epoll datagram channels on loopback for the tests, and plain JDK sockets to talk to them. */
final class Epoll {

    private Epoll() {
    }

    static EventLoopGroup group() {
        io.netty.channel.epoll.Epoll.ensureAvailability(); // these tests are about the real transport
        return new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    }

    static InetSocketAddress address(String ip, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByName(ip), port);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    /** An epoll datagram channel bound to {@code ip} (any port) with {@code handlers}; GRO on when asked. */
    static Channel channel(EventLoopGroup group, String ip, boolean gro, ChannelHandler... handlers) {
        Bootstrap b = new Bootstrap().group(group)
                .channelFactory(() -> new EpollDatagramChannel(SocketProtocolFamily.INET))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(handlers);
                    }
                });
        // room for any datagram (Netty's default for datagram channels is 2048 bytes) or GRO batch
        b.option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(65_536));
        if (gro) {
            b.option(EpollChannelOption.UDP_GRO, true);
        }
        return b.bind(address(ip, 0)).syncUninterruptibly().channel();
    }

    /** A blocking JDK socket bound to {@code ip}, with a receive timeout through {@link #receive}. */
    static DatagramChannel socket(String ip) throws java.io.IOException {
        DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET);
        channel.bind(address(ip, 0));
        return channel;
    }

    /** The next datagram on {@code socket} within five seconds, or null. */
    static byte[] receive(DatagramChannel socket) throws java.io.IOException {
        socket.configureBlocking(false);
        ByteBuffer b = ByteBuffer.allocate(70_000);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < end) {
            if (socket.receive(b) != null) {
                b.flip();
                byte[] bytes = new byte[b.remaining()];
                b.get(bytes);
                return bytes;
            }
            Thread.onSpinWait();
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        return null;
    }

    static boolean await(BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < end) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(2);
        }
        return condition.getAsBoolean();
    }
}
