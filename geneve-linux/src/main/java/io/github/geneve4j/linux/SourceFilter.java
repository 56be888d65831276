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
 * network offset 12; IPv6's four at 8, 12, 16 and 20, as a trie: the addresses that share their
 * first words share the compares of them, and under each distinct word the next one is searched;
 * where one address is left under a word, its remaining words are a chain of load and compare. At
 * each word the distinct values are cut into runs of at most {@code run} values compared one after
 * another ({@code jeq}); the runs are found by a binary search of {@code jge} on their first values
 * (unsigned, as classic BPF compares). A {@code jge} whose lower half is longer than a conditional
 * jump reaches (255 instructions) jumps to the upper half through a {@code ja} (a trampoline).
 *
 * <p>What fits (measured in {@code SourceFilterProgramTest}): about 3,900 IPv4 addresses; IPv6 as
 * many when they differ only in their last 32 bits, about 1,300 when they differ in their last 64
 * (interface identifiers in one /64), about 570 when they differ in every word.
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

    /**
     * The words after word {@code w} of the one address under a value: per word a load and a
     * {@code jeq} to the next (or, for the last, to the run's accept), else to the run's drop.
     */
    private record Chain(int[] offsets, int[] values) {
        int size() {
            return 2 * values.length;
        }

        void emit(ClassicBpf bpf, Label drop, Label accept) {
            for (int i = 0; i < values.length; i++) {
                bpf.load(BPF_W, offsets[i]).jump(BPF_JEQ, values[i], i + 1 == values.length ? accept : null, drop);
            }
        }
    }

    /** Keys {@code from..to} (sorted, equal in words before {@code w}): load word {@code w}, then search it. */
    private static Node level(int[][] keys, int from, int to, int w, int firstOffset, int run) {
        List<Integer> values = new ArrayList<>();
        List<Object> next = new ArrayList<>();
        for (int i = from; i < to; ) {
            int end = i;
            while (end < to && keys[end][w] == keys[i][w]) {
                end++;
            }
            values.add(keys[i][w]);
            int words = keys[i].length - (w + 1);
            if (words == 0) {
                next.add(ACCEPT);
            } else if (end - i == 1) {
                int[] offsets = new int[words];
                Arrays.setAll(offsets, j -> SKF_NET_OFF + firstOffset + 4 * (w + 1 + j));
                next.add(new Chain(offsets, Arrays.copyOfRange(keys[i], w + 1, keys[i].length)));
            } else {
                next.add(level(keys, i, end, w + 1, firstOffset, run));
            }
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

    /** What follows a value that completes an address: the run's accept. */
    private static final Object ACCEPT = new Object();

    /** Cuts the values into runs of at most {@code max}, each short enough for its jumps to reach. */
    private static List<Run> runs(List<Integer> values, List<Object> next, int max) {
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
     * A run: a {@code jeq} per value, to what follows it, the last one's mismatch to the drop; the
     * chains; {@code ret 0} (the drop); {@code ret -1} (the accept); the levels, which end in their
     * own returns. Each of {@code next} is {@link #ACCEPT}, a {@link Chain} or a level's {@link Node}.
     */
    private record Run(List<Integer> values, List<Object> next) implements Node {

        private boolean accepts() {
            return next.stream().anyMatch(n -> !(n instanceof Node));
        }

        /** Where each value's jump goes, then the drop and the accept, from the run's first instruction. */
        private int[] layout() {
            int m = values.size();
            int[] at = new int[m + 2];
            int code = m;
            for (int i = 0; i < m; i++) {
                if (next.get(i) instanceof Chain c) {
                    at[i] = code;
                    code += c.size();
                }
            }
            at[m] = code; // drop
            at[m + 1] = code + 1; // accept
            code += accepts() ? 2 : 1;
            for (int i = 0; i < m; i++) {
                if (next.get(i) == ACCEPT) {
                    at[i] = at[m + 1];
                } else if (next.get(i) instanceof Node n) {
                    at[i] = code;
                    code += n.size();
                }
            }
            return at;
        }

        boolean reaches() {
            int m = values.size();
            int[] at = layout();
            for (int i = 0; i < m; i++) {
                if (at[i] - (i + 1) > REACH) {
                    return false;
                }
            }
            // the last jeq's mismatch to the drop, and a chain's first jeq (the furthest) to the accept
            return at[m] - m <= REACH && (at[m] == m || at[m + 1] - (m + 2) <= REACH);
        }

        @Override
        public int size() {
            int size = values.size() + (accepts() ? 2 : 1);
            for (Object n : next) {
                size += n instanceof Chain c ? c.size() : n instanceof Node l ? l.size() : 0;
            }
            return size;
        }

        @Override
        public void emit(ClassicBpf bpf) {
            Label drop = new Label();
            Label accept = new Label();
            int m = values.size();
            Label[] labels = new Label[m];
            for (int i = 0; i < m; i++) {
                labels[i] = next.get(i) == ACCEPT ? accept : new Label();
                bpf.jump(BPF_JEQ, values.get(i), labels[i], i + 1 == m ? drop : null);
            }
            for (int i = 0; i < m; i++) {
                if (next.get(i) instanceof Chain c) {
                    c.emit(bpf.place(labels[i]), drop, accept);
                }
            }
            bpf.place(drop).ret(0);
            if (accepts()) {
                bpf.place(accept).ret(-1);
            }
            for (int i = 0; i < m; i++) {
                if (next.get(i) instanceof Node n) {
                    n.emit(bpf.place(labels[i]));
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
