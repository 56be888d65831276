/** In-band Network Telemetry over Geneve (class 0x0103, P4.org INT v2.1): the INT-MD header and its stack. */
package io.github.geneve4j.options.telemetry;
