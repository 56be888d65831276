package io.github.geneve4j.bench;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The baseline: a Geneve decoder as a typical user writes it — relative {@link ByteBuffer} gets on a
 * duplicate, a {@code byte[]} per option, a list of option objects. Correct (it checks what ours
 * checks), just not written for a data path.
 */
public final class StraightforwardDecoder {

    private StraightforwardDecoder() {
    }

    public record Option(int optionClass, int type, byte[] data) {
    }

    public record Header(int version, boolean oam, boolean critical, int protocolType, int vni, List<Option> options) {
    }

    public static Header decode(ByteBuffer packet) {
        ByteBuffer b = packet.duplicate().order(ByteOrder.BIG_ENDIAN);
        if (b.remaining() < 8) {
            throw new IllegalArgumentException("truncated");
        }
        int first = b.get() & 0xFF;
        int version = first >>> 6;
        if (version != 0) {
            throw new IllegalArgumentException("version " + version);
        }
        int optionsLength = (first & 0x3F) * 4;
        int flags = b.get() & 0xFF;
        int protocolType = b.getShort() & 0xFFFF;
        int vni = b.getInt() >>> 8;
        if (b.remaining() < optionsLength) {
            throw new IllegalArgumentException("truncated options");
        }
        int end = b.position() + optionsLength;
        List<Option> options = new ArrayList<>();
        while (b.position() < end) {
            int optionClass = b.getShort() & 0xFFFF;
            int type = b.get() & 0xFF;
            int length = (b.get() & 0x1F) * 4;
            if (b.position() + length > end) {
                throw new IllegalArgumentException("option overrun");
            }
            byte[] data = new byte[length];
            b.get(data);
            options.add(new Option(optionClass, type, data));
        }
        return new Header(version, (flags & 0x80) != 0, (flags & 0x40) != 0, protocolType, vni, options);
    }
}
