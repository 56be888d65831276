/**
 * The {@code geneve} command-line tool.
 */
module io.github.geneve4j.tools {
    requires io.github.geneve4j.codec;
    requires io.github.geneve4j.options;
    requires io.github.geneve4j.pcap;
    requires io.github.geneve4j.endpoint;
    requires io.github.geneve4j.gwlb;
    requires io.github.geneve4j.linux;
    requires io.github.geneve4j.netty;
    requires info.picocli;
    requires com.fasterxml.jackson.core;

    opens io.github.geneve4j.tools.cli to info.picocli;
    opens io.github.geneve4j.tools.demo to info.picocli;
    opens io.github.geneve4j.tools.tap to info.picocli;
}
