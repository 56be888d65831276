package io.github.geneve4j.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.linux.ClassicBpf.Instruction;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * The source filter's program, run in {@link BpfInterpreter} (which also makes the kernel's
 * structural checks): every listed address passes, addresses next to them in every word and random
 * ones do not, for sets of every size up to thousands, IPv4 and IPv6 of several shapes. Seeded:
 * the seed is in every failure message.
 */
class SourceFilterProgramTest {

    private static final long SEED = Long.getLong("sourcefilter.seed", 0x5EED_F117L);

    /** How the addresses of a set differ: IPv4, or IPv6 in their last 32, last 64 or all 128 bits. */
    enum Shape {
        IPV4(4, 0), IPV6_LAST_32(16, 12), IPV6_LAST_64(16, 8), IPV6_ALL(16, 0);

        final int length;
        final int shared; // leading bytes every address has in common (2001:db8:0:...)

        Shape(int length, int shared) {
            this.length = length;
            this.shared = shared;
        }

        byte[] random(Random random) {
            byte[] b = new byte[length];
            random.nextBytes(b);
            byte[] prefix = {0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0};
            System.arraycopy(prefix, 0, b, 0, shared);
            return b;
        }
    }

    static List<InetAddress> addresses(Shape shape, int n, Random random) throws UnknownHostException {
        Set<InetAddress> set = new LinkedHashSet<>();
        while (set.size() < n) {
            set.add(InetAddress.getByAddress(shape.random(random)));
        }
        return new ArrayList<>(set);
    }

    static boolean passes(List<Instruction> program, byte[] source) {
        int returned = BpfInterpreter.run(program, BpfInterpreter.udp(source, 6081), source.length == 4 ? 20 : 40);
        assertThat(returned).isIn(0, -1);
        return returned == -1;
    }

    @ParameterizedTest(name = "{0} x {1}")
    @CsvSource({"IPV4, 1", "IPV4, 8", "IPV4, 9", "IPV4, 255", "IPV4, 256", "IPV4, 1000", "IPV4, 2000", "IPV4, 2900",
            "IPV6_LAST_32, 1", "IPV6_LAST_32, 33", "IPV6_LAST_32, 1000", "IPV6_LAST_32, 2000",
            "IPV6_LAST_64, 2", "IPV6_LAST_64, 1000", "IPV6_ALL, 1", "IPV6_ALL, 100", "IPV6_ALL, 500"})
    void everyListedAddressPassesAndNoneNextToThem(Shape shape, int n) throws Exception {
        Random random = new Random(SEED + 31L * n + shape.ordinal());
        List<InetAddress> listed = addresses(shape, n, random);
        Optional<List<Instruction>> program = SourceFilter.program(listed, shape.length == 16);
        assertThat(program).as("%s x %d fits (seed %x)", shape, n, SEED).isPresent();
        System.out.printf("source filter: %s x %d: %d instructions%n", shape, n, program.get().size());
        Set<InetAddress> set = Set.copyOf(listed);
        for (InetAddress a : listed) {
            byte[] b = a.getAddress();
            assertThat(passes(program.get(), b)).as("%s listed (seed %x)", a, SEED).isTrue();
            // the same address with one word one more or one less: a stranger unless listed too
            for (int w = 0; w < b.length; w += 4) {
                for (int delta : new int[] {-1, 1}) {
                    byte[] near = b.clone();
                    int word = java.nio.ByteBuffer.wrap(near, w, 4).getInt() + delta;
                    java.nio.ByteBuffer.wrap(near, w, 4).putInt(word);
                    InetAddress stranger = InetAddress.getByAddress(near);
                    assertThat(passes(program.get(), near)).as("%s next to %s (seed %x)", stranger, a, SEED)
                            .isEqualTo(set.contains(stranger));
                }
            }
        }
        for (int i = 0; i < 2_000; i++) {
            byte[] b = shape.random(random);
            assertThat(passes(program.get(), b)).as("random %s (seed %x)", InetAddress.getByAddress(b), SEED)
                    .isEqualTo(set.contains(InetAddress.getByAddress(b)));
        }
    }

    /** The most addresses of a shape that fit 4,096 instructions, by bisection over seeded sets. */
    static int capacity(Shape shape) throws Exception {
        int low = 1;
        int high = 8_192;
        while (low + 1 < high) {
            int mid = (low + high) >>> 1;
            if (SourceFilter.program(addresses(shape, mid, new Random(SEED)), shape.length == 16).isPresent()) {
                low = mid;
            } else {
                high = mid;
            }
        }
        return low;
    }

    @Test
    void thousandsFitAndPastTheLimitThereIsNoProgram() throws Exception {
        java.util.Map<Shape, Integer> fits = new java.util.EnumMap<>(Shape.class);
        for (Shape shape : Shape.values()) {
            fits.put(shape, capacity(shape));
            System.out.printf("source filter capacity: %s: %d addresses%n", shape, fits.get(shape));
        }
        assertThat(fits.get(Shape.IPV4)).isGreaterThan(3_800);
        assertThat(fits.get(Shape.IPV6_LAST_32)).isGreaterThan(3_800);
        assertThat(fits.get(Shape.IPV6_LAST_64)).isGreaterThan(1_300);
        assertThat(fits.get(Shape.IPV6_ALL)).isGreaterThan(550);
        assertThat(SourceFilter.program(addresses(Shape.IPV4, 5_000, new Random(SEED)), false)).isEmpty();
    }

    @Test
    void anEmptyListDropsEverythingAndTheWrongVersionIsRefused() throws Exception {
        List<Instruction> none = SourceFilter.program(List.of(), false).orElseThrow();
        assertThat(passes(none, new byte[] {127, 0, 0, 1})).isFalse();
        assertThatThrownBy(() -> SourceFilter.program(List.of(InetAddress.getByName("::1")), false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected: an IPv4 address");
        // duplicates are one address
        List<InetAddress> twice = List.of(InetAddress.getByName("127.0.0.2"), InetAddress.getByName("127.0.0.2"));
        List<Instruction> program = SourceFilter.program(twice, false).orElseThrow();
        assertThat(passes(program, new byte[] {127, 0, 0, 2})).isTrue();
        assertThat(passes(program, new byte[] {127, 0, 0, 3})).isFalse();
    }
}
