/** The Geneve tunnel endpoint engine; see {@link io.github.geneve4j.endpoint.GeneveEndpoint}. */
package io.github.geneve4j.endpoint;
