package io.github.geneve4j.linux;

import static io.github.geneve4j.linux.ClassicBpf.BPF_JEQ;
import static io.github.geneve4j.linux.ClassicBpf.BPF_JGE;
import static io.github.geneve4j.linux.ClassicBpf.BPF_W;
import static io.github.geneve4j.linux.ClassicBpf.REACH;
import static io.github.geneve4j.linux.ClassicBpf.SKF_NET_OFF;

import io.github.geneve4j.linux.ClassicBpf.Instruction;
import io.github.geneve4j.linux.ClassicBpf.Label;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * The classic BPF socket filter that lets through only datagrams whose IP source address is one of
 * a set: a sorted search over the addresses, so thousands fit in the kernel's 4,096 instructions.
 *
 * <p>The source address is compared 32 bits at a time (what a load holds): IPv4's one word at
 * network offset 12; IPv6's four at 8, 12, 16 and 20, as a trie: the addresses sharing their first
 * words share the compares of them, and under each distinct word the next is searched. At each word
 * the distinct values are cut into runs of at most {@code run} values, compared one after another
 * ({@code jeq}, each to its own next word or to the run's {@code ret -1}); the runs are found by a
 * binary search of {@code jge} on their first values (unsigned, as classic BPF compares). A
 * {@code jge} whose lower half is longer than a conditional jump reaches (255) jumps to the upper
 * half through a {@code ja} (a trampoline).
 *
 * <p>What fits: IPv4, about 2,900 addresses with runs of 8 and 3,600 with runs of 64 (tried in that
 * order); IPv6, as many when the addresses differ only in their last 32 bits, down to about 330 when
 * they differ in their first (each then costs its own three loads and compares).
 */
final class SourceFilter {

    /** Run lengths tried, shortest (fewest compares per datagram) first. */
    private static final int[] RUNS = {8, 16, 32, 64};

    private SourceFilter() {
    }

    /**
     * The program for {@code sources} on a socket of one IP version, or empty when it would be longer
     * than {@link ClassicBpf#BPF_MAXINSNS}.
     *
     * @throws IllegalArgumentException for an address of the other IP version
     */
    static Optional<List<Instruction>> program(Collection<? extends InetAddress> sources, boolean v6) {
        int words = v6 ? 4 : 1;
        int[][] keys = new int[sources.size()][];
        int i = 0;
        for (InetAddress source : sources) {
            byte[] b = source.getAddress();
            if (b.length != 4 * words) {
                throw new IllegalArgumentException("found source " + source.getHostAddress() + " (expected: an IPv"
                        + (v6 ? 6 : 4) + " address, as the socket's)");
            }
            keys[i++] = new int[words];
            for (int w = 0; w < words; w++) {
                keys[i - 1][w] = word(b, 4 * w);
            }
        }
        Arrays.sort(keys, Arrays::compareUnsigned);
        ClassicBpf bpf = new ClassicBpf();
        if (keys.length == 0) {
            return Optional.of(bpf.ret(0).assemble());
        }
        for (int run : RUNS) {
            Node root = level(keys, 0, keys.length, 0, v6 ? 8 : 12, run);
            if (root.size() <= ClassicBpf.BPF_MAXINSNS) {
                root.emit(bpf);
                return Optional.of(bpf.assemble());
            }
        }
        return Optional.empty();
    }

    /** The big-endian 32-bit word at {@code at} of an address, as a load reads it. */
    private static int word(byte[] b, int at) {
        return ((b[at] & 0xFF) << 24) | ((b[at + 1] & 0xFF) << 16) | ((b[at + 2] & 0xFF) << 8) | (b[at + 3] & 0xFF);
    }

    /** Code of a known length, written at the assembler's end. */
    private interface Node {
        int size();

        void emit(ClassicBpf bpf);
    }

    /** Keys {@code from..to} (sorted, equal in words before {@code w}): load word {@code w}, then search it. */
    private static Node level(int[][] keys, int from, int to, int w, int firstOffset, int run) {
        List<Integer> values = new ArrayList<>();
        List<Node> next = new ArrayList<>();
        for (int i = from; i < to; ) {
            int end = i;
            while (end < to && keys[end][w] == keys[i][w]) {
                end++;
            }
            values.add(keys[i][w]);
            next.add(w + 1 == keys[i].length ? null : level(keys, i, end, w + 1, firstOffset, run));
            i = end;
        }
        Node search = search(runs(values, next, run), 0, -1);
        int offset = SKF_NET_OFF + firstOffset + 4 * w;
        return new Node() {
            @Override
            public int size() {
                return 1 + search.size();
            }

            @Override
            public void emit(ClassicBpf bpf) {
                bpf.load(BPF_W, offset);
                search.emit(bpf);
            }
        };
    }

    /** Cuts the values into runs of at most {@code max}, each short enough for its jumps to reach. */
    private static List<Run> runs(List<Integer> values, List<Node> next, int max) {
        List<Run> runs = new ArrayList<>();
        for (int i = 0; i < values.size(); ) {
            int n = 1;
            while (i + n < values.size() && n < max && new Run(values.subList(i, i + n + 1), next.subList(i, i + n + 1)).reaches()) {
                n++;
            }
            runs.add(new Run(values.subList(i, i + n), next.subList(i, i + n)));
            i += n;
        }
        return runs;
    }

    /**
     * A run: {@code jeq} per value, to its next word's code (or to the run's accept where it is the
     * last word); then {@code ret 0} (none matched), {@code ret -1} (accept), the next words' code.
     */
    private record Run(List<Integer> values, List<Node> next) implements Node {

        private boolean accepts() {
            return next.contains(null);
        }

        /** Where each value's jump goes, from the run's first instruction. */
        private int[] targets() {
            int[] at = new int[values.size()];
            int code = values.size() + 1 + (accepts() ? 1 : 0);
            for (int i = 0; i < at.length; i++) {
                Node n = next.get(i);
                at[i] = n == null ? values.size() + 1 : code;
                code += n == null ? 0 : n.size();
            }
            return at;
        }

        boolean reaches() {
            int[] at = targets();
            for (int i = 0; i < at.length; i++) {
                if (at[i] - (i + 1) > REACH) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public int size() {
            int size = values.size() + 1 + (accepts() ? 1 : 0);
            for (Node n : next) {
                size += n == null ? 0 : n.size();
            }
            return size;
        }

        @Override
        public void emit(ClassicBpf bpf) {
            Label accept = new Label();
            Label[] labels = new Label[values.size()];
            for (int i = 0; i < labels.length; i++) {
                labels[i] = next.get(i) == null ? accept : new Label();
                bpf.jump(BPF_JEQ, values.get(i), labels[i], null);
            }
            bpf.ret(0);
            if (accepts()) {
                bpf.place(accept).ret(-1);
            }
            for (int i = 0; i < labels.length; i++) {
                if (next.get(i) != null) {
                    bpf.place(labels[i]);
                    next.get(i).emit(bpf);
                }
            }
        }
    }

    /** A binary search over runs {@code from..to}: {@code jge} the upper half's first value. */
    private static Node search(List<Run> runs, int from, int to) {
        int end = to < 0 ? runs.size() : to;
        if (end - from == 1) {
            return runs.get(from);
        }
        int mid = (from + end) >>> 1;
        Node lower = search(runs, from, mid);
        Node upper = search(runs, mid, end);
        int pivot = runs.get(mid).values.getFirst();
        boolean far = lower.size() > REACH;
        int size = 1 + (far ? 1 : 0) + lower.size() + upper.size();
        return new Node() {
            @Override
            public int size() {
                return size;
            }

            @Override
            public void emit(ClassicBpf bpf) {
                Label low = new Label();
                Label high = new Label();
                if (far) {
                    Label trampoline = new Label();
                    bpf.jump(BPF_JGE, pivot, trampoline, low).place(trampoline).jumpTo(high);
                } else {
                    bpf.jump(BPF_JGE, pivot, high, low);
                }
                bpf.place(low);
                lower.emit(bpf);
                bpf.place(high);
                upper.emit(bpf);
            }
        };
    }
}
