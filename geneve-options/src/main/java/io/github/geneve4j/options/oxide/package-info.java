/** Oxide Computer Company's options (class 0x0129): External, Multicast replication and MSS. */
package io.github.geneve4j.options.oxide;
