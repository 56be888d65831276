/**
 * A TAP device ({@link io.github.geneve4j.linux.Tap}) and a UDP socket
 * ({@link io.github.geneve4j.linux.UdpSocket}) for {@code geneve-endpoint}, on Linux through
 * {@code java.lang.foreign}; needs {@code --enable-native-access=io.github.geneve4j.linux} (module
 * path) or {@code ALL-UNNAMED} (class path). See the module's description.
 */
package io.github.geneve4j.linux;
