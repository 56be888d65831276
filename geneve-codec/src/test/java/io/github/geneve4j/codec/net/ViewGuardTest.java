package io.github.geneve4j.codec.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The same guard on every net view: used before a wrap, or after a failed tryWrap, it says so. */
class ViewGuardTest {

    private static final MemorySegment GARBAGE = MemorySegment.ofArray(new byte[64]); // version 0, lengths 0

    private record Case(String name, Runnable read, Runnable failedTryWrap, Runnable readAgain) {
    }

    private static <V> Case guard(String name, V view, Consumer<V> read, java.util.function.Predicate<V> tryWrap) {
        return new Case(name, () -> read.accept(view), () -> assertThat(tryWrap.test(view)).as(name).isFalse(),
                () -> read.accept(view));
    }

    @Test
    void everyViewRefusesToReadWhenItWrapsNothing() {
        List<Case> cases = List.of(
                guard("EthernetView", new EthernetView(), EthernetView::etherType, v -> v.tryWrap(GARBAGE, 0, 10)),
                guard("Ipv4View", new Ipv4View(), Ipv4View::ttl, v -> v.tryWrap(GARBAGE, 0, 64)),
                guard("Ipv6View", new Ipv6View(), Ipv6View::hopLimit, v -> v.tryWrap(GARBAGE, 0, 64)),
                guard("TcpView", new TcpView(), TcpView::sourcePort, v -> v.tryWrap(GARBAGE, 0, 64)),
                guard("UdpView", new UdpView(), UdpView::sourcePort, v -> v.tryWrap(GARBAGE, 0, 4)));
        for (Case c : cases) {
            assertThatThrownBy(c.read()::run).as(c.name()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(c.name() + " is not wrapped");
            c.failedTryWrap().run();
            assertThatThrownBy(c.readAgain()::run).as(c.name()).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void aFailedTryWrapForgetsTheWrapBeforeIt() {
        byte[] udp = {0x12, 0x34, 0x17, (byte) 0xc1, 0, 8, 0, 0};
        UdpView view = new UdpView().wrap(MemorySegment.ofArray(udp), 0, 8);
        assertThat(view.sourcePort()).isEqualTo(0x1234);
        assertThat(view.tryWrap(GARBAGE, 0, 4)).isFalse();
        assertThatThrownBy(view::sourcePort).isInstanceOf(IllegalStateException.class);
    }
}
