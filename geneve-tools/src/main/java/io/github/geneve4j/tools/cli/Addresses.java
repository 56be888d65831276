package io.github.geneve4j.tools.cli;

import io.github.geneve4j.codec.NetworkOrder;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Text forms of IP addresses as Wireshark prints them: dotted quad, and RFC 5952 for IPv6. */
final class Addresses {


    private Addresses() {
    }

    static String ipv4(MemorySegment s, long at) {
        return (s.get(ValueLayout.JAVA_BYTE, at) & 0xFF) + "." + (s.get(ValueLayout.JAVA_BYTE, at + 1) & 0xFF) + "."
                + (s.get(ValueLayout.JAVA_BYTE, at + 2) & 0xFF) + "." + (s.get(ValueLayout.JAVA_BYTE, at + 3) & 0xFF);
    }

    /** RFC 5952: lowercase, no leading zeros, the longest run (two or more) of zero groups as "::". */
    static String ipv6(MemorySegment s, long at) {
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = s.get(NetworkOrder.SHORT, at + 2L * i) & 0xFFFF;
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLength - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(groups[i]));
        }
        return sb.toString();
    }
}
