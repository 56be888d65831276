package io.github.geneve4j.tools.cli;

import io.github.geneve4j.options.OptionClass;
import io.github.geneve4j.options.OptionDescriptor;
import io.github.geneve4j.options.OptionRegistry;

/** Names for option classes and options in the dump output, from geneve-options. */
final class OptionNames {

    private OptionNames() {
    }

    /** The IANA owner of the class, or its range ("Experimental", ...). */
    static String className(int optionClass) {
        return OptionClass.name(optionClass);
    }

    /** The name of a known option, or {@code null}. */
    static String name(int optionClass, int type) {
        OptionDescriptor d = OptionRegistry.defaults().lookup(optionClass, type);
        return d == null ? null : d.name();
    }
}
