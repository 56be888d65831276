package io.github.geneve4j.testing;

import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/** Generators of Geneve values and wire bytes for property tests. */
public final class GeneveGenerators {

    private GeneveGenerators() {
    }

    /** Options of any class and type, 0..124 bytes of data. */
    public static Gen<GeneveOption> options() {
        return s -> new GeneveOption(s.between(0, 0xFFFF), s.between(0, 0xFF), s.bytes(4 * s.between(0, 31)));
    }

    /** Valid version-0 headers with any flags (C bit independent of the options) and options up to 252 bytes. */
    public static Gen<GeneveHeader> headers() {
        return s -> {
            boolean oam = s.bool();
            boolean critical = s.bool();
            int protocolType = s.between(0, 0xFFFF);
            int vni = s.between(0, 0xFF_FFFF);
            List<GeneveOption> options = new ArrayList<>();
            int room = 252;
            int count = s.between(0, 8);
            for (int i = 0; i < count && room >= 4; i++) {
                int words = s.between(0, Math.min(31, room / 4 - 1));
                options.add(new GeneveOption(s.between(0, 0xFFFF), s.between(0, 0xFF), s.bytes(4 * words)));
                room -= 4 + 4 * words;
            }
            return new GeneveHeader(0, oam, critical, protocolType, vni, options);
        };
    }

    /**
     * Valid Geneve header bytes assembled field by field (not by our encoder), reserved bits zero,
     * followed by 0..16 payload bytes.
     */
    public static Gen<byte[]> validWire() {
        return s -> {
            ByteArrayOutputStream options = new ByteArrayOutputStream();
            int room = 63;
            int count = s.between(0, 10);
            for (int i = 0; i < count && room > 0; i++) {
                int words = s.between(0, Math.min(31, room - 1));
                int optionClass = s.between(0, 0xFFFF);
                options.write(optionClass >>> 8);
                options.write(optionClass);
                options.write(s.between(0, 0xFF));
                options.write(words); // R bits zero
                options.writeBytes(s.bytes(4 * words));
                room -= 1 + words;
            }
            byte[] opts = options.toByteArray();
            int vni = s.between(0, 0xFF_FFFF);
            int protocolType = s.between(0, 0xFFFF);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(opts.length / 4);
            out.write((s.bool() ? 0x80 : 0) | (s.bool() ? 0x40 : 0));
            out.write(protocolType >>> 8);
            out.write(protocolType);
            out.write(vni >>> 16);
            out.write(vni >>> 8);
            out.write(vni);
            out.write(0);
            out.writeBytes(opts);
            out.writeBytes(s.bytes(s.between(0, 16)));
            return out.toByteArray();
        };
    }
}
