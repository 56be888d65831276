/** The OVN option (class 0x0102, type 0x80): the logical ingress and egress port keys. */
package io.github.geneve4j.options.ovn;
