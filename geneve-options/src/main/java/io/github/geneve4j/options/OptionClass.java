package io.github.geneve4j.options;

/**
 * The IANA "Geneve Option Class" registry (RFC 8926 §7.2) as data: every assigned class with its
 * owner, and the registration ranges, so that any class prints as a name or a range label.
 *
 * <pre>{@code
 * OptionClass.name(0x0108);   // "Amazon"
 * OptionClass.name(0xFFFF);   // "Experimental"
 * OptionClass.name(0x0200);   // "Unassigned (First Come First Served)"
 * }</pre>
 *
 * <p>Ranges: 0x0000–0x00FF IETF Review, 0x0100–0xFEFF First Come First Served, 0xFF00–0xFFFF
 * Experimental (Private Use). Tools disagree on the last: Wireshark's dissector (4.0 to current)
 * still labels only 0xFFF0–0xFFFF experimental, the range of the drafts before the RFC; we follow
 * IANA.
 */
public final class OptionClass {

    /** Linux kernel. */
    public static final int LINUX = 0x0100;
    /** Open vSwitch. */
    public static final int OPEN_VSWITCH = 0x0101;
    /** Open Virtual Networking (OVN). */
    public static final int OVN = 0x0102;
    /** In-band Network Telemetry. */
    public static final int INT = 0x0103;
    /** VMware. */
    public static final int VMWARE = 0x0104;
    /** Amazon: the class AWS Gateway Load Balancer sends. */
    public static final int AWS_GWLB = 0x0108;
    /** Oxide Computer Company. */
    public static final int OXIDE = 0x0129;
    /** Google: the class Google Cloud sends. */
    public static final int GOOGLE = 0x0132;
    /** Cilium. */
    public static final int CILIUM = 0x014B;
    /** nat64.net. */
    public static final int NAT64_NET = 0x0162;
    /** cPacket Networks. */
    public static final int CPACKET = 0x0164;
    /** First class of the experimental (private use) range. */
    public static final int EXPERIMENTAL_FIRST = 0xFF00;

    /** Registration policy of a class's range. */
    public enum Range {
        /** 0x0000–0x00FF. */
        IETF_REVIEW("IETF Review"),
        /** 0x0100–0xFEFF. */
        FIRST_COME_FIRST_SERVED("First Come First Served"),
        /** 0xFF00–0xFFFF. */
        EXPERIMENTAL("Experimental");

        private final String label;

        Range(String label) {
            this.label = label;
        }

        /** The name of the class or range, as IANA's registry gives it. */
        public String label() {
            return label;
        }
    }

    // first, last, owner: the assignments of IANA's "Geneve Option Class" registry (NVO3 registry
    // group, https://www.iana.org/assignments/nvo3/nvo3.xhtml, XML updated 2026-02-20). Sources:
    // 0x0100-0x0103 the registry's own XML ("Linux", "Open vSwitch (OVS)", "Open Virtual Networking
    // (OVN)", "In-band Network Telemetry (INT)"); 0x0104-0x0136 and 0x0164 the registry as Wireshark
    // copies it (epan/dissectors/packet-geneve.c, class_id_names, commit 07bb5c2c50b1); 0x014B
    // Cilium's bpf/lib/tunnel.h (which cites the registry); 0x0162 nat64.net's option pages (which
    // state its class). Assignments after 0x0136 that none of these name are not listed (unverified).
    private static final int[][] BOUNDS = {
        {0x0100, 0x0100}, {0x0101, 0x0101}, {0x0102, 0x0102}, {0x0103, 0x0103}, {0x0104, 0x0104},
        {0x0105, 0x0105}, {0x0106, 0x0106}, {0x0107, 0x0107}, {0x0108, 0x0110}, {0x0111, 0x0118},
        {0x0119, 0x0128}, {0x0129, 0x0129}, {0x0130, 0x0131}, {0x0132, 0x0135}, {0x0136, 0x0136},
        {0x014B, 0x014B}, {0x0162, 0x0162}, {0x0164, 0x0164},
    };
    private static final String[] OWNERS = {
        "Linux", "Open vSwitch (OVS)", "Open Virtual Networking (OVN)", "In-band Network Telemetry (INT)", "VMware",
        "Amazon", "Cisco", "Oracle", "Amazon", "IBM",
        "Ericsson", "Oxide", "Cisco", "Google", "InfoQuick Global Connection Tech",
        "Cilium", "nat64.net", "cPacket Networks",
    };

    private OptionClass() {
    }

    /** The registration range {@code optionClass} falls in. */
    public static Range range(int optionClass) {
        check(optionClass);
        if (optionClass <= 0x00FF) {
            return Range.IETF_REVIEW;
        }
        return optionClass >= EXPERIMENTAL_FIRST ? Range.EXPERIMENTAL : Range.FIRST_COME_FIRST_SERVED;
    }

    /** The owner of an assigned class, or {@code null}. */
    public static String owner(int optionClass) {
        check(optionClass);
        for (int i = 0; i < BOUNDS.length; i++) {
            if (optionClass >= BOUNDS[i][0] && optionClass <= BOUNDS[i][1]) {
                return OWNERS[i];
            }
        }
        return null;
    }

    /**
     * The owner's name for an assigned class, else the range: "IETF Review", "Experimental", or
     * "Unassigned (First Come First Served)".
     */
    public static String name(int optionClass) {
        String owner = owner(optionClass);
        if (owner != null) {
            return owner;
        }
        Range range = range(optionClass);
        return range == Range.FIRST_COME_FIRST_SERVED ? "Unassigned (First Come First Served)" : range.label();
    }

    private static void check(int optionClass) {
        if (optionClass < 0 || optionClass > 0xFFFF) {
            throw new IllegalArgumentException("option class " + optionClass + " out of range (expected: 0..0xffff)");
        }
    }
}
