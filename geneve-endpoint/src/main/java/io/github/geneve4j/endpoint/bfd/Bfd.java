package io.github.geneve4j.endpoint.bfd;

/** Constants of BFD (RFC 5880) as carried inside a Geneve tunnel (RFC 9521). */
public final class Bfd {

    /** The protocol version this package speaks and accepts (RFC 5880 §4.1). */
    public static final int VERSION = 1;
    /** Length of the mandatory section, the whole packet without authentication (§4.1). */
    public static final int CONTROL_PACKET_LENGTH = 24;
    /** UDP destination port of single-hop BFD control packets (RFC 5881 §4; RFC 9521 §4 keeps it). */
    public static final int CONTROL_PORT = 3784;
    /** Lowest UDP source port a session may use (RFC 5881 §4: 49152 through 65535). */
    public static final int MIN_SOURCE_PORT = 49152;
    /** Highest UDP source port a session may use. */
    public static final int MAX_SOURCE_PORT = 65535;
    /** The only inner IPv4 TTL sent and accepted (RFC 5881 §5, RFC 9521 §4). */
    public static final int TTL = 255;
    /** The slowest-rate floor on Desired Min TX while a session is not Up (§6.8.3): one second. */
    public static final long SLOW_TX_MICROS = 1_000_000;
    /** Largest interval a 32-bit field carries, in microseconds. */
    public static final long MAX_INTERVAL_MICROS = 0xFFFF_FFFFL;

    private Bfd() {
    }
}
