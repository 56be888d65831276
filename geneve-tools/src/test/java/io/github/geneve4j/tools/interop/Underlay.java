package io.github.geneve4j.tools.interop;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Three hosts on one underlay, for the hostile-traffic and fault suites: namespaces A and B run our
 * vteps (172.31.3.1 and .2, TAPs 10.0.0.1 and .2), C (172.31.3.3) is a stranger on the same wire;
 * a Linux bridge in a fourth namespace joins their veths. Everything lives in namespaces this class
 * creates and deletes.
 */
final class Underlay implements AutoCloseable {

    // names unique to this JVM: a soak or a second build on the machine must not tear down ours
    private static final String RUN = String.valueOf(ProcessHandle.current().pid() % 10_000);
    static final String A = "g4j-ua" + RUN;
    static final String B = "g4j-ub" + RUN;
    static final String C = "g4j-uc" + RUN;
    static final String U = "g4j-uu" + RUN;
    static final String IP_A = "172.31.3.1";
    static final String IP_B = "172.31.3.2";
    static final String IP_C = "172.31.3.3";

    final Path dir;
    /** JVM flags for the vteps (none by default). */
    List<String> vtepJvmFlags = List.of();
    Process vtepA;
    Process vtepB;

    Underlay() throws Exception {
        dir = Files.createTempDirectory("g4j-underlay");
        delete();
        StringBuilder sh = new StringBuilder("ip netns add " + U + " && ip -n " + U + " link set lo up"
                + " && ip -n " + U + " link add br0 type bridge && ip -n " + U + " link set br0 up");
        String[][] hosts = {{A, IP_A, "a"}, {B, IP_B, "b"}, {C, IP_C, "c"}};
        for (String[] h : hosts) {
            String veth = "g4ju" + h[2] + RUN;
            sh.append(" && ip netns add ").append(h[0]).append(" && ip -n ").append(h[0]).append(" link set lo up")
                    .append(" && ip link add ").append(veth).append(" type veth peer name ").append(veth).append("u")
                    .append(" && ip link set ").append(veth).append(" netns ").append(h[0])
                    .append(" && ip link set ").append(veth).append("u netns ").append(U)
                    .append(" && ip -n ").append(U).append(" link set ").append(veth).append("u master br0 up")
                    .append(" && ip -n ").append(h[0]).append(" addr add ").append(h[1]).append("/24 dev ").append(veth)
                    .append(" && ip -n ").append(h[0]).append(" link set ").append(veth).append(" up");
        }
        Netns.sh(sh.toString());
    }

    /** The underlay veth of host {@code ns}. */
    static String veth(String ns) {
        return "g4ju" + (ns.equals(A) ? "a" : ns.equals(B) ? "b" : "c") + RUN;
    }

    /** Starts the vtep of {@code ns} towards the other one (offload on or off) on TAP g4jtap; waits for it. */
    Process vtep(String ns, String offload, String log, String... more) throws Exception {
        String local = ns.equals(A) ? IP_A : IP_B;
        String remote = ns.equals(A) ? IP_B : IP_A;
        List<String> args = new ArrayList<>(List.of("vtep", "--tap", "g4jtap", "--local", local, "--remote", remote,
                "--offload", offload, "--stats", "1"));
        args.addAll(List.of(more));
        Process p = Netns.start(Netns.java(ns, vtepJvmFlags, "io.github.geneve4j.tools.cli.GeneveCommand",
                args.toArray(String[]::new)), dir.resolve(log));
        Netns.waitForLine(dir.resolve(log), "set the TAP's MTU to 1450", 30);
        return p;
    }

    /** A TAP that outlives the vtep attached to it (so a vtep can restart), addressed and up. */
    void persistentTap(String ns, String address) throws Exception {
        Netns.sh("ip -n " + ns + " tuntap add dev g4jtap mode tap && ip -n " + ns + " addr add " + address
                + "/24 dev g4jtap && ip -n " + ns + " link set g4jtap mtu 1450 up");
    }

    /** Both vteps up (offload on or off), with addresses on their TAPs, and a ping across. */
    void start(String offload) throws Exception {
        vtepA = vtep(A, offload, "vtep-a.log");
        vtepB = vtep(B, offload, "vtep-b.log");
        addresses();
        ping(A, "10.0.0.2", 3);
    }

    /** The kernels' addresses on the vteps' TAPs, and the TAPs up. */
    void addresses() throws Exception {
        Netns.sh("ip -n " + A + " addr add 10.0.0.1/24 dev g4jtap && ip -n " + A + " link set g4jtap mtu 1450 up"
                + " && ip -n " + B + " addr add 10.0.0.2/24 dev g4jtap && ip -n " + B + " link set g4jtap mtu 1450 up");
    }

    /** Pings from {@code ns}; fails the test unless every echo is answered. */
    static void ping(String ns, String target, int count) throws Exception {
        Netns.Result ping = Netns.run(30, "ip", "netns", "exec", ns, "ping", "-c", String.valueOf(count), "-i", "0.3",
                "-W", "3", target);
        org.assertj.core.api.Assertions.assertThat(ping.output())
                .contains(count + " packets transmitted, " + count + " received, 0% packet loss");
    }

    /** Runs the flooder in {@code ns} to {@code target}; returns the process (it ends by itself). */
    Process flood(String ns, String target, long rate, double seconds, String kinds, String log) throws Exception {
        return Netns.start(Netns.java(ns, Flooder.class.getName(), target, String.valueOf(rate),
                String.valueOf(seconds), "5000", kinds), dir.resolve(log));
    }

    private void delete() throws Exception {
        Netns.run(30, "sh", "-c", "for n in " + A + " " + B + " " + C + " " + U
                + "; do ip netns del $n 2>/dev/null; done; true");
    }

    @Override
    public void close() throws Exception {
        Netns.stop(vtepA);
        Netns.stop(vtepB);
        delete();
    }
}
