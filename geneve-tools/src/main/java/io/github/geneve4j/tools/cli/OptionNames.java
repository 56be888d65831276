package io.github.geneve4j.tools.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveOptionCursor;
import io.github.geneve4j.options.OptionClass;
import io.github.geneve4j.options.OptionDescriptor;
import io.github.geneve4j.options.OptionRegistry;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.HexFormat;

/** Names and decoded values for option classes and options in the dump output, from geneve-options. */
final class OptionNames {

    private OptionNames() {
    }

    /** The IANA owner of the class, or its range ("Experimental", ...). */
    static String className(int optionClass) {
        return OptionClass.name(optionClass);
    }

    /** The name of a known option, or {@code null}. */
    static String name(int optionClass, int type) {
        OptionDescriptor<?> d = OptionRegistry.defaults().lookup(optionClass, type);
        return d == null ? null : d.name();
    }

    /**
     * Writes field {@code value}: the option's decoded fields when the registry has a codec for it
     * ({@code {"id":"0x1122334455667788"}} for a GWLB endpoint ID), else {@code null}. Identifiers and
     * cookies are 0x-prefixed lowercase hex strings, as AWS writes them; byte arrays are hex strings;
     * other numbers are JSON numbers and flags booleans. A known option whose data breaks its layout
     * gets {@code null} and a field {@code valueError} with the reason.
     */
    static void writeValue(JsonGenerator g, GeneveOptionCursor o) throws IOException {
        OptionDescriptor<?> descriptor = OptionRegistry.defaults().lookup(o.optionClass(), o.type());
        if (descriptor == null || descriptor.isRaw()) {
            g.writeNullField("value"); // unknown, or known but kept raw: the hex is all there is
            return;
        }
        Object value;
        try {
            value = descriptor.decode(o);
        } catch (GeneveFormatException | IllegalArgumentException e) {
            g.writeNullField("value");
            g.writeStringField("valueError", e.getMessage());
            return;
        }
        if (!(value instanceof Record record)) {
            g.writeNullField("value");
            return;
        }
        g.writeObjectFieldStart("value");
        for (RecordComponent c : record.getClass().getRecordComponents()) {
            Object v;
            try {
                v = c.getAccessor().invoke(record);
            } catch (IllegalAccessException | InvocationTargetException e) {
                throw new IllegalStateException("cannot read " + c.getName() + " of " + record.getClass(), e);
            }
            boolean identifier = c.getName().equals("id") || c.getName().equals("cookie");
            switch (v) {
                case Long l when identifier -> g.writeStringField(c.getName(), String.format("0x%016x", l));
                case Integer i when identifier -> g.writeStringField(c.getName(), String.format("0x%08x", i));
                case Long l -> g.writeNumberField(c.getName(), l);
                case Integer i -> g.writeNumberField(c.getName(), i);
                case Boolean b -> g.writeBooleanField(c.getName(), b);
                case byte[] bytes -> g.writeStringField(c.getName(), HexFormat.of().formatHex(bytes));
                default -> g.writeStringField(c.getName(), String.valueOf(v));
            }
        }
        g.writeEndObject();
    }
}
