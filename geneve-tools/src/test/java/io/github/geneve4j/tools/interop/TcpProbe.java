package io.github.geneve4j.tools.interop;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * A tiny TCP sender and receiver for the namespace tests (run with {@code ip netns exec}):
 * {@code send HOST PORT BYTES SEED [BYTES_PER_SECOND]} sends pseudo-random bytes (at most at that
 * rate, when given: a transfer that lasts long enough for a fault to hit it) and prints their count
 * and SHA-256;
 * {@code receive HOST PORT} accepts one connection and prints the same for what arrived.
 */
public final class TcpProbe {

    private TcpProbe() {
    }

    public static void main(String[] args) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        long total = 0;
        if (args[0].equals("send")) {
            long bytes = Long.parseLong(args[3]);
            SplittableRandom random = new SplittableRandom(Long.parseLong(args[4]));
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(args[1], Integer.parseInt(args[2])), 10_000);
                OutputStream out = socket.getOutputStream();
                byte[] chunk = new byte[64 * 1024];
                long rate = args.length > 5 ? Long.parseLong(args[5]) : 0;
                long start = System.nanoTime();
                while (total < bytes) {
                    if (rate > 0) {
                        long ahead = total * 1_000_000_000L / rate - (System.nanoTime() - start);
                        if (ahead > 0) {
                            Thread.sleep(ahead / 1_000_000, (int) (ahead % 1_000_000));
                        }
                    }
                    int n = (int) Math.min(chunk.length, bytes - total);
                    random.nextBytes(chunk);
                    out.write(chunk, 0, n);
                    sha.update(chunk, 0, n);
                    total += n;
                }
                socket.shutdownOutput();
            }
        } else {
            try (ServerSocket server = new ServerSocket()) {
                server.bind(new InetSocketAddress(args[1], Integer.parseInt(args[2])));
                System.out.println("listening");
                System.out.flush();
                server.setSoTimeout(30_000);
                try (Socket socket = server.accept()) {
                    socket.setSoTimeout(30_000);
                    InputStream in = socket.getInputStream();
                    byte[] chunk = new byte[64 * 1024];
                    for (int n; (n = in.read(chunk)) > 0; ) {
                        sha.update(chunk, 0, n);
                        total += n;
                    }
                }
            }
        }
        System.out.println(total + " " + HexFormat.of().formatHex(sha.digest()));
    }
}
