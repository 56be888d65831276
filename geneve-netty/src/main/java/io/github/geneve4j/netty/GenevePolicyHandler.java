package io.github.geneve4j.netty;

import io.github.geneve4j.codec.GeneveView;
import io.github.geneve4j.options.ReceivePolicy;
import io.github.geneve4j.options.Verdict;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.concurrent.atomic.LongAdder;

/**
 * Applies a {@code geneve-options} {@link ReceivePolicy} to every {@link GenevePacket}: a packet the
 * policy drops (an unknown critical option, RFC 8926 §3.5; a known option of a forbidden length; in
 * strict mode a C bit that disagrees with the options) is released and counted by
 * {@link Verdict.Kind}; accepted packets and control packets ({@link Verdict.Kind#CONTROL}, the O bit:
 * {@link GenevePacket#oam()} says so, for a handler that answers them) go on. Other messages pass
 * untouched.
 *
 * <pre>{@code
 * pipeline.addLast(new GeneveDecoder(), new GenevePolicyHandler(ReceivePolicy.strict(OptionRegistry.defaults())));
 * }</pre>
 *
 * <p>{@code @Sharable}; nothing allocated per packet (a per-thread view and verdict).
 */
@Sharable
public final class GenevePolicyHandler extends ChannelInboundHandlerAdapter {

    private static final FastThreadLocal<GeneveView> VIEWS = new FastThreadLocal<>() {
        @Override
        protected GeneveView initialValue() {
            return new GeneveView();
        }
    };
    private static final FastThreadLocal<Verdict> VERDICTS = new FastThreadLocal<>() {
        @Override
        protected Verdict initialValue() {
            return new Verdict();
        }
    };

    private final ReceivePolicy policy;
    private final LongAdder[] counts = new LongAdder[Verdict.Kind.values().length];

    /** A handler that applies {@code policy}. */
    public GenevePolicyHandler(ReceivePolicy policy) {
        if (policy == null) {
            throw new IllegalArgumentException("found policy null (expected: a ReceivePolicy)");
        }
        this.policy = policy;
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
        }
    }

    /** The policy applied. */
    public ReceivePolicy policy() {
        return policy;
    }

    /** The packets that got verdict {@code kind} (dropped ones for the {@code drop()} kinds). */
    public long count(Verdict.Kind kind) {
        return counts[kind.ordinal()].sum();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof GenevePacket packet) {
            Verdict.Kind kind = policy.evaluate(packet.wrapInto(VIEWS.get()), VERDICTS.get());
            counts[kind.ordinal()].increment();
            if (kind.drop()) {
                packet.release();
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }
}
