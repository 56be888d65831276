/** cPacket Networks' option (class 0x0164, type 0x00): per-packet capture metadata. */
package io.github.geneve4j.options.cpacket;
