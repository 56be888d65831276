/**
 * The {@code geneve} command-line tool and pcap/pcapng I/O.
 */
module io.github.geneve4j.tools {
    requires io.github.geneve4j.codec;
    requires io.github.geneve4j.options;
    requires info.picocli;
    requires com.fasterxml.jackson.core;

    exports io.github.geneve4j.tools.pcap;

    opens io.github.geneve4j.tools.cli to info.picocli;
    opens io.github.geneve4j.tools.demo to info.picocli;
    opens io.github.geneve4j.tools.tap to info.picocli;
}
