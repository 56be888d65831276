package io.github.geneve4j.options;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OptionClassTest {

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "0x0000; IETF Review; IETF_REVIEW",
        "0x00FF; IETF Review; IETF_REVIEW",
        "0x0100; Linux; FIRST_COME_FIRST_SERVED",
        "0x0101; Open vSwitch (OVS); FIRST_COME_FIRST_SERVED",
        "0x0102; Open Virtual Networking (OVN); FIRST_COME_FIRST_SERVED",
        "0x0103; In-band Network Telemetry (INT); FIRST_COME_FIRST_SERVED",
        "0x0104; VMware; FIRST_COME_FIRST_SERVED",
        "0x0105; Amazon; FIRST_COME_FIRST_SERVED",
        "0x0106; Cisco; FIRST_COME_FIRST_SERVED",
        "0x0107; Oracle; FIRST_COME_FIRST_SERVED",
        "0x0108; Amazon; FIRST_COME_FIRST_SERVED",
        "0x0110; Amazon; FIRST_COME_FIRST_SERVED",
        "0x0111; IBM; FIRST_COME_FIRST_SERVED",
        "0x0118; IBM; FIRST_COME_FIRST_SERVED",
        "0x0119; Ericsson; FIRST_COME_FIRST_SERVED",
        "0x0128; Ericsson; FIRST_COME_FIRST_SERVED",
        "0x0129; Oxide; FIRST_COME_FIRST_SERVED",
        "0x012A; Unassigned (First Come First Served); FIRST_COME_FIRST_SERVED",
        "0x0130; Cisco; FIRST_COME_FIRST_SERVED",
        "0x0131; Cisco; FIRST_COME_FIRST_SERVED",
        "0x0132; Google; FIRST_COME_FIRST_SERVED",
        "0x0135; Google; FIRST_COME_FIRST_SERVED",
        "0x0136; InfoQuick Global Connection Tech; FIRST_COME_FIRST_SERVED",
        "0x0137; Unassigned (First Come First Served); FIRST_COME_FIRST_SERVED",
        "0x014A; Unassigned (First Come First Served); FIRST_COME_FIRST_SERVED",
        "0x014B; Cilium; FIRST_COME_FIRST_SERVED",
        "0x014C; Unassigned (First Come First Served); FIRST_COME_FIRST_SERVED",
        "0x0162; nat64.net; FIRST_COME_FIRST_SERVED",
        "0x0163; Unassigned (First Come First Served); FIRST_COME_FIRST_SERVED",
        "0x0164; cPacket Networks; FIRST_COME_FIRST_SERVED",
        "0x0165; Unassigned (First Come First Served); FIRST_COME_FIRST_SERVED",
        "0xFEFF; Unassigned (First Come First Served); FIRST_COME_FIRST_SERVED",
        "0xFEFF; Unassigned (First Come First Served); FIRST_COME_FIRST_SERVED",
        "0xFF00; Experimental; EXPERIMENTAL",
        "0xFFF0; Experimental; EXPERIMENTAL",
        "0xFFEF; Experimental; EXPERIMENTAL",
        "0xFFFF; Experimental; EXPERIMENTAL",
    })
    void namesEveryClassByOwnerOrRange(String hex, String name, OptionClass.Range range) {
        int optionClass = Integer.decode(hex);
        assertThat(OptionClass.name(optionClass)).isEqualTo(name);
        assertThat(OptionClass.range(optionClass)).isEqualTo(range);
        assertThat(OptionClass.owner(optionClass) == null).isEqualTo(name.startsWith("Unassigned")
                || name.equals("IETF Review") || name.equals("Experimental"));
    }

    @ParameterizedTest
    @CsvSource({"-1", "65536"})
    void rejectsValuesThatAreNotClasses(int optionClass) {
        assertThatThrownBy(() -> OptionClass.name(optionClass)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("out of range");
        assertThatThrownBy(() -> OptionClass.range(optionClass)).isInstanceOf(IllegalArgumentException.class);
    }
}
