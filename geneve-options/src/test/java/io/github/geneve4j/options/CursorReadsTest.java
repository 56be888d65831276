package io.github.geneve4j.options;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.GeneveOptionCursor;
import io.github.geneve4j.codec.GeneveView;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.options.aws.GwlbOptions;
import io.github.geneve4j.options.google.GcpOptions;
import io.github.geneve4j.options.ovn.OvnPortKeys;
import io.github.geneve4j.testing.Hex;
import io.github.geneve4j.testing.Property;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Typed reads straight from a {@link GeneveOptionCursor}: the same values (and the same refusals) as
 * the record decodes, no allocation for the primitive readers, unknown options kept byte for byte.
 */
class CursorReadsTest {

    private static final OptionRegistry REGISTRY = OptionRegistry.defaults();

    private static GeneveView view(GeneveHeader header) {
        return new GeneveView().wrap(MemorySegment.ofArray(header.toBytes()), 0);
    }

    @Test
    void cursorDecodesEqualRecordDecodesForEveryOption() {
        Property.forAll("cursor decode == record decode", 400, OptionsRoundTripProperties.MIXED, header -> {
            GeneveView view = view(header);
            int i = 0;
            for (GeneveOptionCursor o = view.options(); o.next(); i++) {
                GeneveOption record = header.options().get(i);
                GeneveFormatException fromRecord = catchThrowableOfType(GeneveFormatException.class,
                        () -> REGISTRY.decode(record));
                GeneveFormatException fromCursor = catchThrowableOfType(GeneveFormatException.class,
                        () -> REGISTRY.decode(o));
                if (fromRecord != null) {
                    assertThat(fromCursor).as("cursor refuses what the record decode refuses").isNotNull();
                    assertThat(fromCursor.reason()).isEqualTo(fromRecord.reason());
                    // the record's offset counts from the option, the cursor's from the Geneve header
                    assertThat(fromCursor.offset()).isEqualTo(o.offset() + fromRecord.offset());
                    continue;
                }
                assertThat(fromCursor).isNull();
                Object value = REGISTRY.decode(o);
                assertThat(value).isEqualTo(REGISTRY.decode(record));
                // unknown options stay raw and re-encode byte for byte; typed ones through their codec
                OptionDescriptor<?> d = REGISTRY.lookup(o.optionClass(), o.type());
                if (d == null) {
                    assertThat(value).isInstanceOf(GeneveOption.class);
                    assertThat(Hex.of(GeneveHeader.of(0, 0, (GeneveOption) value).toBytes()))
                            .isEqualTo(Hex.of(GeneveHeader.of(0, 0, record).toBytes()));
                }
                assertPrimitiveReadersAgree(o, value);
            }
        });
    }

    private static void assertPrimitiveReadersAgree(GeneveOptionCursor o, Object value) {
        switch (value) {
            case GwlbOptions.FlowCookie c -> assertThat(GwlbOptions.FlowCookie.read(o)).isEqualTo(c.cookie());
            case GwlbOptions.EndpointId e -> assertThat(GwlbOptions.EndpointId.read(o)).isEqualTo(e.id());
            case GwlbOptions.AttachmentId a -> assertThat(GwlbOptions.AttachmentId.read(o)).isEqualTo(a.id());
            case OvnPortKeys k -> {
                assertThat(OvnPortKeys.ingress(o)).isEqualTo(k.ingress());
                assertThat(OvnPortKeys.egress(o)).isEqualTo(k.egress());
            }
            case GcpOptions.Vnid v -> {
                assertThat(GcpOptions.Vnid.vnid(o)).isEqualTo(v.vnid());
                assertThat(GcpOptions.Vnid.direction(o)).isEqualTo(v.direction());
            }
            case GcpOptions.ProfileId p -> assertThat(GcpOptions.ProfileId.read(o)).isEqualTo(p.id());
            default -> { }
        }
    }

    @Test
    void typedDescriptorsReadFromTheCursor() {
        GeneveHeader header = GeneveHeader.of(ProtocolType.IPV4, 0,
                new GwlbOptions.EndpointId(0x1122334455667788L).toOption(),
                new GwlbOptions.AttachmentId(0x99aabbccddeeff00L).toOption(),
                new GwlbOptions.FlowCookie(0x12345678).toOption(),
                new OvnPortKeys(7, 9).toOption());
        GeneveOptionCursor o = view(header).options();
        assertThat(o.next()).isTrue();
        GwlbOptions.EndpointId endpoint = GwlbOptions.ENDPOINT_ID.decode(o);
        assertThat(endpoint.id()).isEqualTo(0x1122334455667788L);
        assertThat(REGISTRY.decode(GwlbOptions.ENDPOINT_ID, o)).isEqualTo(endpoint);
        assertThat(GwlbOptions.ENDPOINT_ID.matches(o)).isTrue();
        assertThat(GwlbOptions.FLOW_COOKIE.matches(o)).isFalse();
        // a reader on the wrong option refuses it, at the option's offset in the header
        assertThatThrownBy(() -> GwlbOptions.FlowCookie.read(o)).isInstanceOfSatisfying(GeneveFormatException.class,
                e -> {
                    assertThat(e.reason()).isEqualTo(GeneveFormatException.Reason.BAD_VALUE);
                    assertThat(e.offset()).isEqualTo(8);
                });
        o.next();
        o.next();
        assertThat(GwlbOptions.FlowCookie.read(o)).isEqualTo(0x12345678);
        assertThat(GwlbOptions.FLOW_COOKIE.encode(GwlbOptions.FLOW_COOKIE.decode(o))).isEqualTo(o.toOption());
        o.next();
        assertThat(OvnPortKeys.DESCRIPTOR.decode(o)).isEqualTo(new OvnPortKeys(7, 9));
        // a GWLB cookie of 8 bytes: BAD_LENGTH at its Length field
        GeneveOptionCursor bad = view(GeneveHeader.of(ProtocolType.IPV4, 0,
                new GeneveOption(0x0108, 3, new byte[8]))).options();
        bad.next();
        assertThatThrownBy(() -> GwlbOptions.FlowCookie.read(bad)).isInstanceOfSatisfying(GeneveFormatException.class,
                e -> {
                    assertThat(e.reason()).isEqualTo(GeneveFormatException.Reason.BAD_LENGTH);
                    assertThat(e.offset()).isEqualTo(8 + 3);
                });
    }

    @Test
    void primitiveCursorReadsAllocateNothing() {
        var threads = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(threads instanceof com.sun.management.ThreadMXBean bean
                && bean.isThreadAllocatedMemorySupported(), "per-thread allocation counter unavailable");
        var bean = (com.sun.management.ThreadMXBean) threads;
        GeneveView view = view(GeneveHeader.of(ProtocolType.IPV4, 0,
                new GwlbOptions.EndpointId(1).toOption(), new GwlbOptions.AttachmentId(2).toOption(),
                new GwlbOptions.FlowCookie(3).toOption(), new OvnPortKeys(4, 5).toOption(),
                new GcpOptions.Vnid(6, true).toOption(), new GcpOptions.ProfileId(7).toOption()));
        long sink = 0;
        for (int round = 0; round < 2; round++) {
            long before = bean.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 200_000; i++) {
                for (GeneveOptionCursor o = view.options(); o.next(); ) {
                    if (GwlbOptions.ENDPOINT_ID.matches(o)) {
                        sink += GwlbOptions.EndpointId.read(o);
                    } else if (GwlbOptions.ATTACHMENT_ID.matches(o)) {
                        sink += GwlbOptions.AttachmentId.read(o);
                    } else if (GwlbOptions.FLOW_COOKIE.matches(o)) {
                        sink += GwlbOptions.FlowCookie.read(o);
                    } else if (OvnPortKeys.DESCRIPTOR.matches(o)) {
                        sink += OvnPortKeys.ingress(o) + OvnPortKeys.egress(o);
                    } else if (GcpOptions.VNID.matches(o)) {
                        sink += GcpOptions.Vnid.vnid(o) + (GcpOptions.Vnid.direction(o) ? 1 : 0);
                    } else if (GcpOptions.PROFILE.matches(o)) {
                        sink += GcpOptions.ProfileId.read(o);
                    }
                }
            }
            long allocated = bean.getCurrentThreadAllocatedBytes() - before;
            if (round == 1) {
                assertThat(allocated).as("bytes allocated over 200,000 headers of 6 options").isLessThan(50_000);
            }
        }
        assertThat(sink).isEqualTo(2 * 200_000L * (1 + 2 + 3 + 9 + 7 + 7));
    }

    @Test
    void everyReaderRefusesAnotherOptionAndAWrongLength() {
        // a cursor on an unknown option of 12 bytes: every reader refuses it as not its option
        GeneveOptionCursor other = view(GeneveHeader.of(ProtocolType.IPV4, 0,
                new GeneveOption(0x0199, 9, new byte[12]))).options();
        other.next();
        java.util.List<Runnable> readers = java.util.List.of(
                () -> GwlbOptions.FlowCookie.read(other), () -> GwlbOptions.EndpointId.read(other),
                () -> GwlbOptions.AttachmentId.read(other), () -> OvnPortKeys.ingress(other),
                () -> OvnPortKeys.egress(other), () -> GcpOptions.Vnid.vnid(other),
                () -> GcpOptions.Vnid.direction(other), () -> GcpOptions.ProfileId.read(other));
        for (Runnable reader : readers) {
            assertThatThrownBy(reader::run).isInstanceOfSatisfying(GeneveFormatException.class, e -> {
                assertThat(e.reason()).isEqualTo(GeneveFormatException.Reason.BAD_VALUE);
                assertThat(e.offset()).isEqualTo(8);
                assertThat(e.getMessage()).contains("option class 0x0199 type 0x09 is not");
            });
        }
        // each reader's own (class, type) with 12 bytes of data: BAD_LENGTH at the Length field
        int[][] keys = {{0x0108, 3}, {0x0108, 1}, {0x0108, 2}, {0x0102, 0x80}, {0x0102, 0x80}, {0x0132, 1},
                {0x0132, 1}, {0x0132, 3}};
        for (int i = 0; i < keys.length; i++) {
            GeneveOptionCursor o = view(GeneveHeader.of(ProtocolType.IPV4, 0,
                    new GeneveOption(keys[i][0], keys[i][1], new byte[12]))).options();
            o.next();
            java.util.List<Runnable> own = java.util.List.of(
                    () -> GwlbOptions.FlowCookie.read(o), () -> GwlbOptions.EndpointId.read(o),
                    () -> GwlbOptions.AttachmentId.read(o), () -> OvnPortKeys.ingress(o),
                    () -> OvnPortKeys.egress(o), () -> GcpOptions.Vnid.vnid(o),
                    () -> GcpOptions.Vnid.direction(o), () -> GcpOptions.ProfileId.read(o));
            assertThatThrownBy(own.get(i)::run).as("reader %d", i).isInstanceOfSatisfying(GeneveFormatException.class,
                    e -> {
                        assertThat(e.reason()).isEqualTo(GeneveFormatException.Reason.BAD_LENGTH);
                        assertThat(e.offset()).isEqualTo(8 + 3);
                    });
        }
    }

    @Test
    void rawDescriptorsKeepTheOptionItself() {
        OptionDescriptor<GeneveOption> lab = OptionDescriptor.raw(0xFFFF, 0x80, "lab tag", LengthRule.fixed(4));
        GeneveOption option = new GeneveOption(0xFFFF, 0x80, new byte[] {1, 2, 3, 4});
        assertThat(lab.isRaw()).isTrue();
        assertThat(lab.decode(option)).isSameAs(option);
        assertThat(lab.encode(option)).isSameAs(option);
        assertThat(lab.matches(option)).isTrue();
        assertThat(lab.matches(new GeneveOption(0xFFFF, 0x81, new byte[4]))).isFalse();
        assertThat(lab.matches(new GeneveOption(0xFFFE, 0x80, new byte[4]))).isFalse();
        GeneveOptionCursor o = view(GeneveHeader.of(ProtocolType.IPV4, 0, option)).options();
        o.next();
        assertThat(lab.decode(o)).isEqualTo(option);
        assertThat(lab.matches(o)).isTrue();
        assertThat(GwlbOptions.FLOW_COOKIE.matches(option)).isFalse();
        assertThatThrownBy(() -> lab.encode(null)).isInstanceOf(NullPointerException.class);
        // a codec made of three functions reads from the cursor with the third
        OptionCodec<Integer> lengths = OptionCodec.of(GeneveOption::dataLength, c -> -c.dataLength(), v -> option);
        assertThat(lengths.decode(o)).isEqualTo(-4);
        assertThat(lengths.decode(option)).isEqualTo(4);
        assertThat(lengths.encode(1)).isSameAs(option);
    }
}
