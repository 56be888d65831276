/** The Linux kernel's options (class 0x0100): the GRO hint (type 0x01). */
package io.github.geneve4j.options.linux;
