package io.github.geneve4j.endpoint;

import io.github.geneve4j.endpoint.spi.FrameDevice;

/**
 * One VNI an endpoint serves: its inner side (a device, or null for the handler), the Geneve header
 * it sends (with that VNI), and its MAC table.
 */
final class Network {

    final int vni;
    final FrameDevice device;
    final byte[] geneve;
    final MacTable macs;

    Network(int vni, FrameDevice device, byte[] geneve, MacTable macs) {
        this.vni = vni;
        this.device = device;
        this.geneve = geneve;
        this.macs = macs;
    }
}
