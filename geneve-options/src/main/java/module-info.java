/**
 * Geneve options: the registry of known (class, type) pairs, the IANA option-class table, typed
 * options that deployments send, and the receive policy for the critical bit (RFC 8926 §3.5).
 */
module io.github.geneve4j.options {
    requires transitive io.github.geneve4j.codec;

    exports io.github.geneve4j.options;
    exports io.github.geneve4j.options.aws;
    exports io.github.geneve4j.options.ovn;
    exports io.github.geneve4j.options.google;
    exports io.github.geneve4j.options.cilium;
    exports io.github.geneve4j.options.oxide;
    exports io.github.geneve4j.options.cpacket;
    exports io.github.geneve4j.options.telemetry;
    exports io.github.geneve4j.options.linux;
    exports io.github.geneve4j.options.nat64;
}
