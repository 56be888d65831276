/** nat64.net's options (class 0x0162): NAT64 bypass (type 0x00) and audit mirror (type 0x81). */
package io.github.geneve4j.options.nat64;
