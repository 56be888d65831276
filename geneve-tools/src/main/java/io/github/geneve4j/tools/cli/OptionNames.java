package io.github.geneve4j.tools.cli;

/** Names for option classes and options in the dump output (backed by geneve-options). */
final class OptionNames {

    private OptionNames() {
    }

    static String className(int optionClass) {
        return String.format("0x%04x", optionClass);
    }

    static String name(int optionClass, int type) {
        return null;
    }
}
