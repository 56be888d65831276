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
import java.net.InetAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

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
     * addresses are their text form, enum constants lowercase names, lists arrays, nested records
     * objects; other numbers are JSON numbers and flags booleans. A known option whose data breaks its layout
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
        g.writeFieldName("value");
        writeRecord(g, record);
    }

    /** A record as a JSON object of its components, nested records and lists included. */
    private static void writeRecord(JsonGenerator g, Record record) throws IOException {
        g.writeStartObject();
        for (RecordComponent c : record.getClass().getRecordComponents()) {
            Object v;
            try {
                v = c.getAccessor().invoke(record);
            } catch (IllegalAccessException | InvocationTargetException e) {
                throw new IllegalStateException("cannot read " + c.getName() + " of " + record.getClass(), e);
            }
            g.writeFieldName(c.getName());
            boolean identifier = c.getName().equals("id") || c.getName().equals("cookie");
            writeField(g, v, identifier);
        }
        g.writeEndObject();
    }

    private static void writeField(JsonGenerator g, Object v, boolean identifier) throws IOException {
        switch (v) {
            case Long l when identifier -> g.writeString(String.format("0x%016x", l));
            case Integer i when identifier -> g.writeString(String.format("0x%08x", i));
            case Long l -> g.writeNumber(l);
            case Integer i -> g.writeNumber(i);
            case Boolean b -> g.writeBoolean(b);
            case byte[] bytes -> g.writeString(HexFormat.of().formatHex(bytes));
            case InetAddress address -> g.writeString(address.getHostAddress());
            case Enum<?> e -> g.writeString(e.name().toLowerCase(Locale.ROOT));
            case Record nested -> writeRecord(g, nested);
            case List<?> list -> {
                g.writeStartArray();
                for (Object item : list) {
                    writeField(g, item, false);
                }
                g.writeEndArray();
            }
            case null -> g.writeNull();
            default -> g.writeString(String.valueOf(v));
        }
    }
}
