package io.github.geneve4j.options;

import io.github.geneve4j.codec.GeneveOption;

/** A typed option value that knows its wire form. */
public interface TypedOption {

    /** This value as an option on the wire. */
    GeneveOption toOption();
}
