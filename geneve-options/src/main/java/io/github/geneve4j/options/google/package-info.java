/** The Google Cloud options (class 0x0132): VNID, endpoint ID and profile ID. */
package io.github.geneve4j.options.google;
