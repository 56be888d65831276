package io.github.geneve4j.options.aws;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.GeneveOptionCursor;
import io.github.geneve4j.options.LengthRule;
import io.github.geneve4j.options.OptionClass;
import io.github.geneve4j.options.OptionCodec;
import io.github.geneve4j.options.OptionDescriptor;
import io.github.geneve4j.options.TypedOption;
import io.github.geneve4j.options.internal.Layouts;

/**
 * The options AWS Gateway Load Balancer puts on every packet it sends to an appliance, class
 * 0x0108, all non-critical: type 1 the GWLB endpoint ID (8 bytes), type 2 the attachment ID
 * (8 bytes), type 3 the flow cookie (4 bytes). An appliance must send the packet back with the same
 * VNI and these options unchanged ({@link #replyHeader(GeneveHeader)}).
 *
 * <pre>{@code
 * GeneveHeader request = view.toHeader();
 * long endpoint = GwlbOptions.endpointId(request).id();
 * GeneveHeader reply = GwlbOptions.replyHeader(request);   // what to put on the answer
 * }</pre>
 */
public final class GwlbOptions {

    public static final int ENDPOINT_ID_TYPE = 1;
    public static final int ATTACHMENT_ID_TYPE = 2;
    public static final int FLOW_COOKIE_TYPE = 3;

    /** GWLB endpoint ID: class 0x0108, type 1, 8 bytes. */
    public static final OptionDescriptor<EndpointId> ENDPOINT_ID = new OptionDescriptor<>(OptionClass.AWS_GWLB,
            ENDPOINT_ID_TYPE, "AWS GWLB endpoint ID", LengthRule.fixed(8),
            OptionCodec.of(EndpointId::from, c -> new EndpointId(EndpointId.read(c)), EndpointId::toOption));
    /** GWLB attachment ID: class 0x0108, type 2, 8 bytes. */
    public static final OptionDescriptor<AttachmentId> ATTACHMENT_ID = new OptionDescriptor<>(OptionClass.AWS_GWLB,
            ATTACHMENT_ID_TYPE, "AWS GWLB attachment ID", LengthRule.fixed(8),
            OptionCodec.of(AttachmentId::from, c -> new AttachmentId(AttachmentId.read(c)), AttachmentId::toOption));
    /** GWLB flow cookie: class 0x0108, type 3, 4 bytes. */
    public static final OptionDescriptor<FlowCookie> FLOW_COOKIE = new OptionDescriptor<>(OptionClass.AWS_GWLB,
            FLOW_COOKIE_TYPE, "AWS GWLB flow cookie", LengthRule.fixed(4),
            OptionCodec.of(FlowCookie::from, c -> new FlowCookie(FlowCookie.read(c)), FlowCookie::toOption));

    private GwlbOptions() {
    }

    /** The GWLB endpoint ID (a 64-bit value; AWS shows it as {@code vpce-...} hex). */
    public record EndpointId(long id) implements TypedOption {
        @Override
        public GeneveOption toOption() {
            return new GeneveOption(OptionClass.AWS_GWLB, ENDPOINT_ID_TYPE, Layouts.bytes(id));
        }

        public static EndpointId from(GeneveOption option) {
            Layouts.expect(option, ENDPOINT_ID);
            return new EndpointId(Layouts.int64(option, 0));
        }

        /**
         * The endpoint ID of the option the cursor is on, read in place: no allocation.
         *
         * @throws GeneveFormatException {@code BAD_VALUE} if it is not this option, {@code BAD_LENGTH}
         *     unless its data is 8 bytes (offsets from the first byte of the Geneve header)
         */
        public static long read(GeneveOptionCursor cursor) {
            Layouts.expect(cursor, ENDPOINT_ID);
            return cursor.dataLong(0);
        }
    }

    /** The attachment ID (64 bits). */
    public record AttachmentId(long id) implements TypedOption {
        @Override
        public GeneveOption toOption() {
            return new GeneveOption(OptionClass.AWS_GWLB, ATTACHMENT_ID_TYPE, Layouts.bytes(id));
        }

        public static AttachmentId from(GeneveOption option) {
            Layouts.expect(option, ATTACHMENT_ID);
            return new AttachmentId(Layouts.int64(option, 0));
        }

        /**
         * The attachment ID of the option the cursor is on, read in place: no allocation.
         *
         * @throws GeneveFormatException as {@link EndpointId#read(GeneveOptionCursor)}
         */
        public static long read(GeneveOptionCursor cursor) {
            Layouts.expect(cursor, ATTACHMENT_ID);
            return cursor.dataLong(0);
        }
    }

    /** The flow cookie (32 bits). */
    public record FlowCookie(int cookie) implements TypedOption {
        @Override
        public GeneveOption toOption() {
            return new GeneveOption(OptionClass.AWS_GWLB, FLOW_COOKIE_TYPE, Layouts.bytes(cookie));
        }

        public static FlowCookie from(GeneveOption option) {
            Layouts.expect(option, FLOW_COOKIE);
            return new FlowCookie(Layouts.int32(option, 0));
        }

        /**
         * The cookie of the option the cursor is on, read in place: no allocation.
         *
         * <pre>{@code
         * for (GeneveOptionCursor o = view.options(); o.next(); ) {
         *     if (GwlbOptions.FLOW_COOKIE.matches(o)) cookie = GwlbOptions.FlowCookie.read(o);
         * }
         * }</pre>
         *
         * @throws GeneveFormatException {@code BAD_VALUE} if it is not this option, {@code BAD_LENGTH}
         *     unless its data is 4 bytes (offsets from the first byte of the Geneve header)
         */
        public static int read(GeneveOptionCursor cursor) {
            Layouts.expect(cursor, FLOW_COOKIE);
            return cursor.dataInt(0);
        }
    }

    /** The endpoint ID option of {@code header}, or {@code null}. */
    public static EndpointId endpointId(GeneveHeader header) {
        GeneveOption o = find(header, ENDPOINT_ID_TYPE);
        return o == null ? null : EndpointId.from(o);
    }

    /** The attachment ID option of {@code header}, or {@code null}. */
    public static AttachmentId attachmentId(GeneveHeader header) {
        GeneveOption o = find(header, ATTACHMENT_ID_TYPE);
        return o == null ? null : AttachmentId.from(o);
    }

    /** The flow cookie option of {@code header}, or {@code null}. */
    public static FlowCookie flowCookie(GeneveHeader header) {
        GeneveOption o = find(header, FLOW_COOKIE_TYPE);
        return o == null ? null : FlowCookie.from(o);
    }

    private static GeneveOption find(GeneveHeader header, int type) {
        for (GeneveOption o : header.options()) {
            if (o.optionClass() == OptionClass.AWS_GWLB && o.type() == type) {
                return o;
            }
        }
        return null;
    }

    /**
     * The header an appliance sends back to GWLB for {@code request}: the same version-0 data
     * header — protocol type, VNI and every option, in order and byte for byte (GWLB matches the
     * flow by them) — with the C bit computed from the options.
     */
    public static GeneveHeader replyHeader(GeneveHeader request) {
        return GeneveHeader.of(request.protocolType(), request.vni(), request.options());
    }
}
