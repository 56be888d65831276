/** Cilium's option (class 0x014B, type 0x81): the service address and port of a DSR packet. */
package io.github.geneve4j.options.cilium;
