package io.github.geneve4j.options.aws;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.GeneveOptionCursor;
import io.github.geneve4j.codec.GeneveView;
import io.github.geneve4j.options.LengthRule;
import io.github.geneve4j.options.OptionClass;
import io.github.geneve4j.options.OptionCodec;
import io.github.geneve4j.options.OptionDescriptor;
import io.github.geneve4j.options.TypedOption;
import io.github.geneve4j.options.internal.Layouts;
import java.lang.foreign.MemorySegment;

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

    /** The type of the GWLB endpoint ID option (8 bytes). */
    public static final int ENDPOINT_ID_TYPE = 1;
    /** The type of the GWLB attachment ID option (8 bytes). */
    public static final int ATTACHMENT_ID_TYPE = 2;
    /** The type of the GWLB flow cookie option (4 bytes). */
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

        /**
         * The endpoint ID of a decoded option.
         *
         * @throws io.github.geneve4j.codec.GeneveFormatException if it is not one or its data is not 8 bytes
         */
        public static EndpointId from(GeneveOption option) {
            Layouts.expect(option, ENDPOINT_ID);
            return new EndpointId(Layouts.int64(option, 0));
        }

        /** The ID in hex, 16 digits, as AWS and {@code gwlbtun} print it: {@code EndpointId[0x2b8ee1d4db0c51c4]}. */
        @Override
        public String toString() {
            return "EndpointId[0x" + hex64(id) + "]";
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

        /**
         * The attachment ID of a decoded option.
         *
         * @throws io.github.geneve4j.codec.GeneveFormatException if it is not one or its data is not 8 bytes
         */
        public static AttachmentId from(GeneveOption option) {
            Layouts.expect(option, ATTACHMENT_ID);
            return new AttachmentId(Layouts.int64(option, 0));
        }

        /** The ID in hex, 16 digits: {@code AttachmentId[0x...]}. */
        @Override
        public String toString() {
            return "AttachmentId[0x" + hex64(id) + "]";
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

        /**
         * The flow cookie of a decoded option.
         *
         * @throws io.github.geneve4j.codec.GeneveFormatException if it is not one or its data is not 4 bytes
         */
        public static FlowCookie from(GeneveOption option) {
            Layouts.expect(option, FLOW_COOKIE);
            return new FlowCookie(Layouts.int32(option, 0));
        }

        /** The cookie in hex, 8 digits: {@code FlowCookie[0x12345678]}. */
        @Override
        public String toString() {
            return "FlowCookie[0x" + String.format("%08x", cookie) + "]";
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
     * The header an appliance sends back to GWLB for {@code request}, as a record: the same version-0
     * data header — protocol type, VNI and every option, in order (GWLB matches the flow by them) —
     * with the C bit computed from the options. It is re-encoded: reserved bits and a set O bit of the
     * request are not kept, and it allocates. On a receive path use
     * {@link #copyReplyHeader(GeneveView, MemorySegment, long)}, or send the received bytes as they are.
     */
    public static GeneveHeader replyHeader(GeneveHeader request) {
        return GeneveHeader.of(request.protocolType(), request.vni(), request.options());
    }

    private static String hex64(long value) {
        String digits = Long.toHexString(value);
        return "0".repeat(16 - digits.length()) + digits;
    }

    // --- allocation-free reads and the in-place reply (for appliances' receive paths) ---------------

    /** The length of a GWLB option's data by type: 8, 8, 4; 0 for any other type. */
    private static int dataLength(int type) {
        return switch (type) {
            case ENDPOINT_ID_TYPE, ATTACHMENT_ID_TYPE -> 8;
            case FLOW_COOKIE_TYPE -> 4;
            default -> 0;
        };
    }

    /**
     * Whether the cursor's option is the GWLB option of {@code type} ({@link #ENDPOINT_ID_TYPE},
     * {@link #ATTACHMENT_ID_TYPE} or {@link #FLOW_COOKIE_TYPE}): class 0x0108, that type (C bit
     * clear, as GWLB sends it) and its fixed data length, so that its {@code read} cannot fail.
     * Allocates nothing and never throws, for a receive path that drops what is not.
     *
     * <pre>{@code
     * for (GeneveOptionCursor o = view.options(); o.next(); ) {
     *     if (GwlbOptions.is(o, GwlbOptions.ENDPOINT_ID_TYPE)) endpoint = GwlbOptions.EndpointId.read(o);
     * }
     * }</pre>
     */
    public static boolean is(GeneveOptionCursor option, int type) {
        int length = dataLength(type);
        return length != 0 && option.optionClass() == OptionClass.AWS_GWLB && option.type() == type
                && option.dataLength() == length;
    }

    /**
     * Whether the wrapped header carries all three GWLB options (endpoint ID, attachment ID, flow
     * cookie, each well formed), which GWLB puts on every packet: what an appliance checks before
     * answering. Allocates nothing.
     */
    public static boolean complete(GeneveView view) {
        int seen = 0;
        for (GeneveOptionCursor o = view.options(); o.next(); ) {
            if (o.optionClass() == OptionClass.AWS_GWLB) {
                int type = o.type();
                if (is(o, type)) {
                    seen |= 1 << type;
                }
            }
        }
        return seen == (1 << ENDPOINT_ID_TYPE | 1 << ATTACHMENT_ID_TYPE | 1 << FLOW_COOKIE_TYPE);
    }

    /**
     * The endpoint ID of the wrapped header (the first well-formed one); allocates nothing.
     *
     * @throws IllegalArgumentException if it has none (check {@link #complete(GeneveView)} first)
     */
    public static long endpointId(GeneveView view) {
        return EndpointId.read(find(view, ENDPOINT_ID_TYPE));
    }

    /**
     * The attachment ID of the wrapped header; allocates nothing.
     *
     * @throws IllegalArgumentException if it has none
     */
    public static long attachmentId(GeneveView view) {
        return AttachmentId.read(find(view, ATTACHMENT_ID_TYPE));
    }

    /**
     * The flow cookie of the wrapped header; allocates nothing.
     *
     * @throws IllegalArgumentException if it has none
     */
    public static int flowCookie(GeneveView view) {
        return FlowCookie.read(find(view, FLOW_COOKIE_TYPE));
    }

    private static GeneveOptionCursor find(GeneveView view, int type) {
        GeneveOptionCursor o = view.options();
        while (o.next()) {
            if (is(o, type)) {
                return o;
            }
        }
        throw new IllegalArgumentException("found no well-formed GWLB option of type " + type
                + " in a header of " + view.optionCount() + " options (expected: class 0x0108 type " + type + ", "
                + dataLength(type) + " data bytes)");
    }

    /**
     * Copies the reply header for the wrapped request to {@code offset} of {@code target}: the
     * request's Geneve header byte for byte (base header, every option of every class, reserved bits
     * as received), which is what GWLB expects back. Allocates nothing for a view over a
     * {@code MemorySegment} (one over a {@code ByteBuffer} makes a segment of it). An appliance that answers
     * from the receive buffer itself need not copy at all: the received header already is the reply's.
     *
     * <pre>{@code
     * int n = GwlbOptions.copyReplyHeader(view, out, at);   // then the inner packet at at + n
     * }</pre>
     *
     * @return the header's length
     * @throws IndexOutOfBoundsException if {@code target} has fewer than that many bytes from {@code offset}
     */
    public static int copyReplyHeader(GeneveView request, MemorySegment target, long offset) {
        int length = request.headerLength();
        MemorySegment.copy(request.segment(), request.offset(), target, offset, length);
        return length;
    }
}
