package io.github.geneve4j.options.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveOptionCursor;
import io.github.geneve4j.codec.GeneveView;
import io.github.geneve4j.testing.Hex;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The allocation-free GWLB reads and the in-place reply, against bytes written from AWS's option
 * layout (class 0x0108; type 1 endpoint ID 8 bytes, type 2 attachment ID 8 bytes, type 3 flow
 * cookie 4 bytes; all with the C bit clear), not from our encoder.
 */
class GwlbOptionsInPlaceTest {

    /** A request as GWLB sends it, with reserved bits set and an extra option of another class in between. */
    static final byte[] REQUEST = Hex.bytes("0a 05 08 00 00 00 00 07"   // ver 0, 10 words, R bits 0x05, IPv4, VNI 0, R 0x07
            + " | 01 08 01 02 2b 8e e1 d4 db 0c 51 c4"                    // endpoint ID
            + " | 7f 01 42 01 ca fe ba be"                                 // class 0x7f01 (not GWLB), 4 bytes
            + " | 01 08 02 02 80 00 00 00 00 00 00 01"                    // attachment ID (top bit set: negative long)
            + " | 01 08 03 01 f1 23 45 67");                               // flow cookie (negative int)

    private static MemorySegment native_(byte[] bytes, int at) {
        MemorySegment s = Arena.ofAuto().allocate(bytes.length + at + 16);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, s, at, bytes.length);
        return s;
    }

    @Test
    void readsTheThreeIdsFromAViewAsLongAndInt() {
        GeneveView view = new GeneveView().wrap(native_(REQUEST, 5), 5);
        assertThat(GwlbOptions.complete(view)).isTrue();
        assertThat(GwlbOptions.endpointId(view)).isEqualTo(0x2b8ee1d4db0c51c4L);
        assertThat(GwlbOptions.attachmentId(view)).isEqualTo(0x8000000000000001L);
        assertThat(GwlbOptions.flowCookie(view)).isEqualTo(0xf1234567);
    }

    @Test
    void readsFromACursorAndRefusesOtherOptions() {
        GeneveView view = new GeneveView().wrap(MemorySegment.ofArray(REQUEST), 0);
        GeneveOptionCursor o = view.options();
        o.next();
        assertThat(GwlbOptions.is(o, GwlbOptions.ENDPOINT_ID_TYPE)).isTrue();
        assertThat(GwlbOptions.is(o, GwlbOptions.FLOW_COOKIE_TYPE)).isFalse();
        assertThat(GwlbOptions.EndpointId.read(o)).isEqualTo(0x2b8ee1d4db0c51c4L);
        assertThatThrownBy(() -> GwlbOptions.FlowCookie.read(o)).isInstanceOf(GeneveFormatException.class)
                .extracting(e -> ((GeneveFormatException) e).reason()).isEqualTo(GeneveFormatException.Reason.BAD_VALUE);
        o.next();
        assertThat(GwlbOptions.is(o, 0x42)).isFalse();
        assertThat(GwlbOptions.is(o, GwlbOptions.ATTACHMENT_ID_TYPE)).isFalse();
        assertThatThrownBy(() -> GwlbOptions.AttachmentId.read(o)).isInstanceOf(GeneveFormatException.class);
        o.next();
        assertThat(GwlbOptions.is(o, GwlbOptions.ATTACHMENT_ID_TYPE)).isTrue();
        assertThat(GwlbOptions.AttachmentId.read(o)).isEqualTo(0x8000000000000001L);
        o.next();
        assertThat(GwlbOptions.is(o, GwlbOptions.FLOW_COOKIE_TYPE)).isTrue();
        assertThat(GwlbOptions.FlowCookie.read(o)).isEqualTo(0xf1234567);
    }

    @Test
    void incompleteWhenAnOptionIsMissingMisSizedOrCritical() {
        // no cookie
        assertThat(GwlbOptions.complete(new GeneveView().wrap(MemorySegment.ofArray(Hex.bytes(
                "06 00 08 00 00 00 00 00 | 01 08 01 02 00 00 00 00 00 00 00 01 | 01 08 02 02 00 00 00 00 00 00 00 02")), 0)))
                .isFalse();
        // cookie of 8 bytes
        GeneveView wrongLength = new GeneveView().wrap(MemorySegment.ofArray(Hex.bytes("09 00 08 00 00 00 00 00"
                + " | 01 08 01 02 00 00 00 00 00 00 00 01 | 01 08 02 02 00 00 00 00 00 00 00 02"
                + " | 01 08 03 02 00 00 00 00 00 00 00 03")), 0);
        assertThat(GwlbOptions.complete(wrongLength)).isFalse();
        assertThatThrownBy(() -> GwlbOptions.flowCookie(wrongLength)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("found no well-formed GWLB option of type 3");
        // endpoint ID with the C bit set (type 0x81) is not GWLB's
        assertThat(GwlbOptions.complete(new GeneveView().wrap(MemorySegment.ofArray(Hex.bytes("08 80 08 00 00 00 00 00"
                + " | 01 08 81 02 00 00 00 00 00 00 00 01 | 01 08 02 02 00 00 00 00 00 00 00 02"
                + " | 01 08 03 01 00 00 00 03")), 0))).isFalse();
        // no options at all
        assertThat(GwlbOptions.complete(new GeneveView().wrap(MemorySegment.ofArray(Hex.bytes("00 00 08 00 00 00 00 00")), 0)))
                .isFalse();
    }

    @Test
    void replyHeaderIsTheRequestByteForByteReservedBitsIncluded() {
        byte[] withPayload = new byte[REQUEST.length + 4];
        System.arraycopy(REQUEST, 0, withPayload, 0, REQUEST.length);
        GeneveView view = new GeneveView().wrap(native_(withPayload, 3), 3);
        MemorySegment out = Arena.ofAuto().allocate(100);
        assertThat(GwlbOptions.copyReplyHeader(view, out, 7)).isEqualTo(REQUEST.length);
        assertThat(out.asSlice(7, REQUEST.length).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)).isEqualTo(REQUEST);
        // the record path re-encodes and clears the reserved bits: why the in-place one exists
        assertThat(GwlbOptions.replyHeader(view.toHeader()).toBytes()).isNotEqualTo(REQUEST);
    }

    @Test
    void recordsShowIdsInHex() {
        assertThat(new GwlbOptions.EndpointId(0x2b8ee1d4db0c51c4L)).hasToString("EndpointId[0x2b8ee1d4db0c51c4]");
        assertThat(new GwlbOptions.AttachmentId(1)).hasToString("AttachmentId[0x0000000000000001]");
        assertThat(new GwlbOptions.AttachmentId(-1)).hasToString("AttachmentId[0xffffffffffffffff]");
        assertThat(new GwlbOptions.FlowCookie(0xf1234567)).hasToString("FlowCookie[0xf1234567]");
        assertThat(new GwlbOptions.FlowCookie(0x10)).hasToString("FlowCookie[0x00000010]");
    }

    @Test
    void readsAllocateNothing() {
        var threads = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(threads instanceof com.sun.management.ThreadMXBean bean
                && bean.isThreadAllocatedMemorySupported(), "per-thread allocation counter unavailable");
        var bean = (com.sun.management.ThreadMXBean) threads;
        MemorySegment in = native_(REQUEST, 0);
        MemorySegment out = Arena.ofAuto().allocate(64);
        GeneveView view = new GeneveView();
        long sink = loop(view, in, out, 20_000);
        long before = bean.getCurrentThreadAllocatedBytes();
        sink += loop(view, in, out, 200_000);
        long allocated = bean.getCurrentThreadAllocatedBytes() - before;
        assertThat(sink).isNotZero();
        assertThat(allocated).as("bytes allocated over 200,000 packets").isLessThan(50_000);
    }

    private static long loop(GeneveView view, MemorySegment in, MemorySegment out, int n) {
        long sink = 0;
        for (int i = 0; i < n; i++) {
            view.tryWrap(in, 0);
            if (GwlbOptions.complete(view)) {
                sink += GwlbOptions.endpointId(view) ^ GwlbOptions.attachmentId(view) ^ GwlbOptions.flowCookie(view);
                sink += GwlbOptions.copyReplyHeader(view, out, 0);
            }
        }
        return sink;
    }
}
